/**
 * Layers: OCI layer tarballs and their unpacked, overlay-style form.
 *
 * <h2>What a layer becomes on disk</h2>
 *
 * <p>A layer blob (uncompressed, gzip or zstd; see {@link org.refcache.core.layer.MediaTypes} and
 * {@link org.refcache.core.layer.Compression}) is applied by
 * {@link org.refcache.core.layer.LayerUnpacker} in one streaming pass (blob, decompress, digest,
 * tar, files; no temporary copy of the tar) into {@code layers/<diffID-hex>/}, on two threads: the
 * unpacking one reads, hashes and parses the layer and decides every entry, a writer thread
 * ({@link org.refcache.core.layer.PipelinedLayerOutput}) makes the files in the same order. The tree is an
 * overlayfs <em>upper</em> (see {@link org.refcache.core.layer.OverlayFormat}): an OCI whiteout
 * {@code .wh.<name>} becomes a character device 0/0 named {@code <name>}, an opaque marker
 * {@code .wh..wh..opq} becomes the xattr {@code trusted.overlay.opaque=y} on its directory.
 * Everything else is kept as the tar says: type, content, mode bits including setuid, setgid and
 * sticky, numeric owner, nanosecond mtime and atime, extended attributes (PAX
 * {@code SCHILY.xattr.*}, byte for byte, and {@code LIBARCHIVE.xattr.*}), hard links, devices.
 *
 * <h2>Writing layers</h2>
 *
 * <p>{@link org.refcache.core.layer.LayerWriter} streams a
 * {@link org.refcache.core.layer.LayerChanges change set} into a layer blob in one pass (walk,
 * tar, diffID digest, compress, the content store's ingest, which digests, counts and verifies the
 * blob), staging nothing. The change set is an overlay upper (whiteout devices or {@code .wh.}
 * files become {@code .wh.<name>} entries, opaque directories a {@code .wh..wh..opq} entry right
 * after the directory) or the difference of two {@link org.refcache.core.layer.ReadableTree}s
 * (adds and changes with the directories holding them, whiteouts for deletions). The tar is
 * reproducible: entries sorted by name bytes, no root entry, no atime or ctime, no user names, PAX
 * records only where needed (long or non-ASCII names as their bytes, nanosecond mtimes, large ids,
 * {@code SCHILY.xattr.*} with raw values), the second name of a hard-linked file as a link entry;
 * gzip without name or mtime; compressors fed in fixed chunks. Names an OCI layer cannot carry
 * (a new file named {@code .wh.*}) are refused with an
 * {@link org.refcache.core.layer.UnrepresentableEntryException}; a file that changes size while
 * read with a {@link org.refcache.core.layer.LayerSourceChangedException}; either way nothing is
 * stored. {@link org.refcache.core.layer.LayerConverter} stores another compression of a blob.
 *
 * <h2>Contracts</h2>
 *
 * <ul>
 *   <li>The diffID is the digest of the whole uncompressed stream, tar trailer and padding
 *       included, and is checked against the expected one before anything becomes visible.</li>
 *   <li>Unpacking is atomic: the tree is built in a {@code .tmp-*} directory next to the target
 *       and renamed into place; any failure removes it. {@link org.refcache.core.layer.LayerStore}
 *       unpacks each diffID once, however many callers ask at the same time, and removes
 *       {@code .tmp-*} leftovers of a crash when it is created.</li>
 *   <li>A tarball never writes outside its layer: absolute names, names with a {@code ..}
 *       component, entries whose parent is a symlink (of this layer), and hard links whose target
 *       is absolute, has a {@code ..} component, or goes through a symlink are refused with an
 *       {@link org.refcache.core.layer.UnsafeLayerEntryException} naming the entry. Unlike
 *       containerd, which strips a leading {@code /}, absolute names are refused: image builders
 *       do not write them and refusing is the simpler rule to audit. The one exception is
 *       {@code /} itself (nothing but slashes and dots): the root, as umoci writes it. Symlink
 *       <em>targets</em> are stored as given (absolute or dangling), since they are only
 *       resolved inside a container.</li>
 *   <li>Overlay-private xattrs carried in a tar ({@code trusted.overlay.*},
 *       {@code user.overlay.*}) are dropped: whiteouts and opaque directories come only from the
 *       OCI markers; so are xattrs outside Linux's namespaces (as containerd does). Names and
 *       values Linux cannot hold (a component over 255 bytes, a NUL byte, an empty or overlong
 *       symlink target, an xattr over 64 KiB) are refused as malformed.</li>
 *   <li>{@link org.refcache.core.layer.LayerValidator} refuses exactly what the unpacker refuses,
 *       with the same message, writing nothing: both run the same reader
 *       ({@code LayerStream}) and the same {@code LayerApplier}, whose decisions come from what it
 *       applied so far and never from the disk; the validator gives them to
 *       {@code LayerOutput.NONE}. Only what the filesystem itself refuses (a full disk, an ACL it
 *       rejects) can fail an unpack of a layer that passed.</li>
 *   <li>Every layer is held to its {@link org.refcache.core.layer.LayerLimits} (uncompressed size,
 *       expansion ratio, entries, header bytes per entry) while it streams, so a layer over one is
 *       refused having read only up to the limit ({@link org.refcache.core.layer.LayerLimitException}).</li>
 *   <li>Failures say where: a {@link org.refcache.core.layer.TruncatedLayerException} says how many
 *       bytes were read and in which entry; other format errors name the entry. A failure to read
 *       the blob or to write the layer is passed on as it is (a full disk stays ENOSPC). The
 *       caller names the layer (the file imported, the blob's digest).</li>
 *   <li>Unpacking needs root (ownership, device nodes, {@code trusted.*} xattrs).</li>
 * </ul>
 */
package org.refcache.core.layer;
