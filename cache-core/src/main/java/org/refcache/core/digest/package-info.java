/**
 * Content digests: the {@code <algorithm>:<hex>} identifiers of blobs, diffIDs and chain IDs.
 *
 * <p>{@link org.refcache.core.digest.Digest} is the value type; it only exists in canonical form
 * (a supported algorithm, lower-case hex of the algorithm's length), so a {@code Digest} in hand is
 * always valid and two digests of the same content are {@code equals}. Hashing goes through Bouncy
 * Castle ({@link org.refcache.core.digest.Digester}), never {@code java.security.MessageDigest}, so
 * results do not depend on the JCA providers installed in the JVM.
 *
 * <p>Streams: {@link org.refcache.core.digest.DigestingInputStream} and
 * {@link org.refcache.core.digest.DigestingOutputStream} hash what passes through them and count
 * bytes, so a blob can be verified while it is copied, in one pass.
 *
 * <p>Chain IDs ({@link org.refcache.core.digest.ChainIds}) follow the OCI image spec as used by
 * BuildKit: {@code ChainID([x]) = x}, {@code ChainID([a, b]) = sha256("<a> <b>")}, folded left over
 * longer lists.
 */
package org.refcache.core.digest;
