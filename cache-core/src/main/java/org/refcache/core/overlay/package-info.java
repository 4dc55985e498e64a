/**
 * Union views of layer directories and the copy-on-write engine of mutable refs, with the
 * semantics and on-disk format of kernel overlayfs, usable and tested without any mount.
 *
 * <p>{@link org.refcache.core.overlay.OverlayTree} is a read-only union of immutable layers (top
 * first): it resolves a union path to the real file that answers for it
 * ({@link org.refcache.core.overlay.Node}), says what a path shows
 * ({@link org.refcache.core.overlay.OverlayTree#attributes}), lists merged directories
 * ({@link org.refcache.core.overlay.DirEntry}) and reads xattrs.
 * {@link org.refcache.core.overlay.WritableOverlayTree} adds an upper directory and every POSIX
 * mutation a build step uses. The FUSE layer only translates: it copies the attributes and
 * listings it is given into its replies, reads and writes the real files it is given, delegates
 * mutations here, and maps the {@code java.nio.file} exceptions thrown here to errno with
 * {@code ErrnoMapper.toErrno} ({@link org.refcache.core.overlay.IsDirectoryException} is
 * {@code EISDIR}).
 *
 * <h2>Layers</h2>
 * A union's read-only layers are {@link org.refcache.core.overlay.TreeLayer}s: a directory on disk;
 * a directory unpacked by a callback when a lookup first has to read it (per-layer laziness: a
 * lookup answered by a higher layer never does; a merged directory's lower directories are found
 * only when a name is not found above, a listing or a link count needs them); or the change set of
 * two trees (a diff), read as an overlay-upper directory would be: the upper's entries that are new
 * or changed, and whiteouts for names only the lower has, worked out by comparing the two trees
 * where a lookup or a listing reaches. Every rule below applies to all three alike.
 *
 * <h2>Format</h2>
 * A whiteout is a character device 0/0 named like the deleted entry; an opaque directory carries
 * {@code trusted.overlay.opaque="y"} ({@link org.refcache.core.layer.OverlayFormat}, the one place
 * for the format's names, shared with the unpacker).
 * Overlay's own {@code trusted.overlay.*} xattrs are hidden from readers, refused to writers and
 * never copied up. Whiteouts and opaque markers never show through the union. An upper written
 * here mounts as an overlayfs {@code upperdir} over the same lowers and shows the same tree.
 * Directory renames need no {@code redirect_dir}: a moved lower or merged directory becomes an
 * opaque upper copy, and its old name a whiteout. An entry copied up (or copied by such a move)
 * carries {@code trusted.overlay.refcache.ino} ({@code "<dev>:<ino>"} of the file it stands for,
 * which overlayfs ignores), and every tree reports that number for every name of the copy
 * ({@link org.refcache.core.overlay.Node#ino()}), so {@code st_ino} does not change at copy-up,
 * rename, commit (the upper read as a layer) or restart.
 *
 * <h2>Where the union differs from overlayfs</h2>
 * A merged directory's link count is 2 plus its merged subdirectories, as on a plain filesystem,
 * not its topmost directory's; while a layer it needs is not unpacked yet it is 1, as overlayfs
 * shows every merged directory. The ctime of an entry a copy-up touched stays the one it showed
 * before until it changes for real (kernel overlayfs shows the copy's); for the life of the
 * writable tree only. Hard links
 * inside a lower layer stay one file: copying up one name (for a write, chmod, link, rename,
 * unlink...) links the layer's other names that the union still shows from that file to the upper
 * copy, as overlayfs does only with {@code index=on}. Finding them reads the layer's hard-linked
 * files once per tree, on the first such copy-up.
 *
 * <h2>Thread rules</h2>
 * <ul>
 *   <li>An {@code OverlayTree} is immutable and thread-safe: lower layers never change, so its
 *       resolutions are cached (bounded, no invalidation) and lookups never block each other, but
 *       for finding the lower directories of one merged directory (under that resolution's
 *       monitor, then its parent's, towards the root), which may wait for a layer's unpack.
 *       A listing caches what a lookup of each listed non-directory gives.</li>
 *   <li>A {@code WritableOverlayTree} has one read-write lock. Every mutation holds the write lock
 *       from its first lookup to its last rename, so multi-step changes are atomic to readers;
 *       {@code resolve}, {@code attributes}, {@code list} and the xattr reads hold the read
 *       lock (and resolve with the upper on top through {@code MergedLookup}, which walks through
 *       the upper directories it has seen, {@code UpperDirectories}, and reads only the last
 *       component; rmdir, unlink and rename forget the names they touch and everything below
 *       them, under the write lock). The steps of the mutations ({@code UpperWriter}: copy-ups, new entries, whiteouts,
 *       renames) run under the write lock their caller holds. There is no other lock, hence no
 *       lock order to respect, and no lock is held while calling out.</li>
 *   <li>Content I/O on the real files (pread/pwrite on descriptors the FUSE layer opened) is
 *       outside the lock. A copy-up of a regular file is offered to the
 *       {@code CopyUpListener}s (asked under the lock whether they want it,
 *       handed an open descriptor of the copy after the lock is released), so that descriptors
 *       opened for reading on the lower file can follow it, as on overlayfs since Linux 4.19.</li>
 *   <li>Nothing else may write an upper while a tree over it is in use; lower layers must never
 *       be written at all.</li>
 *   <li>{@code freeze()} (after commit) takes the write lock once, so no mutation is in flight
 *       once it returns; every later mutation throws {@code ReadOnlyFileSystemException} (until
 *       {@code thaw()}, when the commit is undone before anyone saw its twin).</li>
 * </ul>
 */
package org.refcache.core.overlay;
