/**
 * The FUSE view of refs: one mount showing {@code <mountpoint>/refs/<id>/...} for every ref a
 * {@link org.refcache.fuse.RefTreeSource} lists. It only translates: take a use of the ref,
 * resolve, delegate to cache-core's overlay trees (or read and write an open descriptor), and
 * throw what goes wrong; a transport turns that into errno in one place
 * ({@link org.refcache.fuse.ViewFailures}).
 *
 * <h2>The seam</h2>
 * {@link org.refcache.fuse.ViewOperations} is the view as both transports see it: operations on
 * typed places ({@link org.refcache.fuse.MountPath}: {@code /}, {@code /refs}, a ref and a path
 * inside its tree, an unlinked open file) and on open files (handles), with typed results
 * ({@link org.refcache.fuse.Entry}: attributes in a reused {@link org.refcache.fuse.FileAttributes}
 * and how long the kernel may keep them; {@link org.refcache.fuse.Opened}: handle, keep-cache,
 * passthrough descriptor) and the {@link org.refcache.fuse.Caller} as a parameter.
 * {@link org.refcache.fuse.RefFileSystem} implements it ({@link org.refcache.fuse.EntryLookup}
 * answers names: inside a ref it copies what the tree says the path shows,
 * {@code OverlayTree.attributes}, with inode numbers, ctimes and link counts the tree's, and
 * decides how long the kernel may keep it).
 *
 * <h2>Transports</h2>
 * <ul>
 *   <li>Kernel (the default): {@link org.refcache.fuse.KernelBridge} speaks the FUSE protocol on
 *       {@code /dev/fuse} ({@code org.refcache.fuse.kernel}) and maps the kernel's node IDs to
 *       places ({@link org.refcache.fuse.NodeTable}: one node for all names of a hard-linked
 *       file), building a node's place from its parent's and its name: nothing is parsed.</li>
 *   <li>libfuse 2.9 ({@code org.refcache.fuse.libfuse}), without the right to {@code mount(2)}
 *       or when asked ({@link org.refcache.fuse.FuseOptions.Transport}): jnr-fuse's loop over
 *       libfuse's path API, each path split once. Loaded by name, only when chosen
 *       ({@link org.refcache.fuse.LibfuseLoop}): no other package knows jnr-fuse, and the kernel
 *       transport runs without libfuse on the host.</li>
 * </ul>
 *
 * <h2>Files unlinked while open</h2>
 * Their name leaves the tree at once, and the view keeps the file reachable through an
 * {@code O_PATH} descriptor ({@link org.refcache.fuse.UnlinkedFiles}) at a place of its own until
 * the last open file is released, so {@code fstat}, {@code fchmod} and {@code futimens} still
 * work. The kernel transport asks for this when it unlinks (or renames over) the last name of a
 * node with open files; libfuse asks with its {@code .fuse_hidden*} rename, which the libfuse
 * adapter alone knows.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>{@code /} holds {@code refs} only; {@code /refs} lists {@code RefTreeSource.refIds()}. Both
 *       are read-only (EROFS), owned by root, mode 0755.</li>
 *   <li>{@code /refs/<id>} is the root of the ref's tree; an unknown ID is ENOENT. A read-only
 *       tree answers EROFS to every change, a writable one takes every POSIX change a build step
 *       makes, until it is frozen by a commit (EROFS from then on, writes through already open
 *       descriptors included). Renames and links between refs are EXDEV.</li>
 * </ul>
 *
 * <h2>Leases</h2>
 * The first access to a ref opens its lease ({@code RefTreeSource.open}); a bounded cache keeps it
 * ({@link org.refcache.fuse.FuseOptions#leaseCacheSize()}, least recently used evicted first)
 * until {@link org.refcache.fuse.FuseMount#invalidate} or unmount. Every operation holds a use of
 * the ref while it runs, and every open file holds one until it is released, so an open file keeps
 * its data alive after its ref was invalidated or evicted: the lease closes with the last use.
 *
 * <h2>Kernel caching</h2>
 * <ul>
 *   <li>Passthrough (kernel transport, Linux 6.9+): files of read-only refs are read by the
 *       kernel straight from their layer files, with those files' page cache (the view offers
 *       the descriptor, {@link org.refcache.fuse.Opened#passthroughFd};
 *       {@link org.refcache.fuse.PassthroughFiles} registers it).</li>
 *   <li>Page cache: files of trees that can never change (read-only, or frozen) are opened with
 *       {@code keep_cache}, so their pages survive across opens; files of writable trees are not
 *       (under libfuse 2.9 each hard link is its own kernel inode, so the next open of any name
 *       must see what was written through another). This is why the mount does not use
 *       {@code -o kernel_cache}, which would keep pages for every open. With
 *       {@link org.refcache.fuse.FuseOptions#opensWithoutRequests()} (kernel transport, the
 *       default) the kernel opens files without asking and keeps every file's pages across
 *       opens: safe there because each file has one kernel inode and every change goes through
 *       it (docs/ARCHITECTURE.md, "Caching rules"); files are then read and written by node
 *       ({@link org.refcache.fuse.NodeFiles}), whose kept handles hold their ref's lease as an
 *       open file does.</li>
 *   <li>Entries and attributes: all changes go through the mount, and the kernel refreshes what it
 *       caches for the inode an operation went through. The view lets names, attributes and
 *       listings inside trees that can never change live for
 *       {@link org.refcache.fuse.FuseOptions#UNCHANGING_TIMEOUT}, and the kernel transport drops
 *       them when the ref goes ({@link org.refcache.fuse.FuseMount#invalidate}); the mount's
 *       timeouts cover the rest (see {@link org.refcache.fuse.FuseOptions}), attributes in
 *       writable trees as long as names ({@link org.refcache.fuse.FuseOptions#kernelAttrTimeout}).
 *       The kernel transport opens directories without requests, so the kernel keeps every
 *       listing and lists again when the directory changed through the mount; {@code /refs} is
 *       dropped by notification when a ref appears or goes (docs/ARCHITECTURE.md, "Caching
 *       rules"). libfuse 2.9 applies the mount's timeouts to everything.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The kernel transport's workers (or libfuse's multi-threaded loop) call in from many threads at
 * once. Lock order: a ref's structure lock (kernel transport: read side for operations that turn
 * a node into a place and act on it, write side for renames; {@link
 * org.refcache.fuse.StructureLocks}), then a tree's lock, then the node table's monitor. The
 * lease cache is lock-free
 * on hits, the handle table a concurrent map; the overlay trees lock themselves (a writable tree
 * has one read-write lock, mutations are atomic to readers). Reads and writes of open files take
 * no lock at all: {@code pread}/{@code pwrite} on the descriptor, straight into FUSE's buffer;
 * the exception is a file opened read-only on a lower file of a writable tree, which follows the
 * file's copy-up (its descriptor is swapped for one on the copy, see {@link
 * org.refcache.fuse.OpenFiles}): its reads take the read side of its own lock.
 *
 * <h2>Limits</h2>
 * <ul>
 *   <li>Under libfuse 2.9 only: attributes of the other names of a hard-linked file may be stale
 *       for up to the attribute timeout after a change through one name.</li>
 *   <li>Under libfuse 2.9 only: after a ref goes away, {@code /refs/<id>} may still stat as a
 *       directory for up to the entry timeout; everything inside answers ENOENT. (The kernel
 *       transport tells the kernel to drop it when {@link org.refcache.fuse.FuseMount#invalidate}
 *       is called.)</li>
 *   <li>Kernel transport: the node table holds what the kernel holds (its inode cache decides
 *       how many nodes there are; forgets drop them).</li>
 * </ul>
 */
package org.refcache.fuse;
