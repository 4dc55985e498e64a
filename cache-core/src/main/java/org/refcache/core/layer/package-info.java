/**
 * Layers: OCI layer tarballs and their unpacked, overlay-style form.
 *
 * <h2>What a layer becomes on disk</h2>
 *
 * <p>A layer blob (uncompressed, gzip or zstd; see {@link org.refcache.core.layer.MediaTypes} and
 * {@link org.refcache.core.layer.Compression}) is applied by
 * {@link org.refcache.core.layer.LayerUnpacker} in one streaming pass (blob, decompress, digest,
 * tar, files; no temporary copy of the tar) into {@code layers/<diffID-hex>/}. The tree is an
 * overlayfs <em>upper</em> (see {@link org.refcache.core.layer.OverlayFormat}): an OCI whiteout
 * {@code .wh.<name>} becomes a character device 0/0 named {@code <name>}, an opaque marker
 * {@code .wh..wh..opq} becomes the xattr {@code trusted.overlay.opaque=y} on its directory.
 * Everything else is kept as the tar says: type, content, mode bits including setuid, setgid and
 * sticky, numeric owner, nanosecond mtime and atime, extended attributes (PAX
 * {@code SCHILY.xattr.*}, byte for byte, and {@code LIBARCHIVE.xattr.*}), hard links, devices.
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
 *       do not write them and refusing is the simpler rule to audit. Symlink <em>targets</em> are
 *       stored as given (absolute or dangling), since they are only resolved inside a
 *       container.</li>
 *   <li>Overlay-private xattrs carried in a tar ({@code trusted.overlay.*},
 *       {@code user.overlay.*}) are dropped: whiteouts and opaque directories come only from the
 *       OCI markers.</li>
 *   <li>Unpacking needs root (ownership, device nodes, {@code trusted.*} xattrs).</li>
 * </ul>
 */
package org.refcache.core.layer;
