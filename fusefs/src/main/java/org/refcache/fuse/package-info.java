/**
 * The FUSE view of refs: one mount showing {@code <mountpoint>/refs/<id>/...} for every ref a
 * {@link org.refcache.fuse.RefTreeSource} lists. It only translates: take a use of the ref,
 * resolve, delegate to cache-core's overlay trees (or read and write an open descriptor), and map
 * exceptions to errno with {@code ErrnoMapper.toErrno}.
 *
 * <h2>Transports</h2>
 * The operations are path-based ({@link org.refcache.fuse.RefFileSystem}, in jnr-fuse's
 * {@code FuseStubFS} shape). By default the kernel's requests reach them through
 * {@link org.refcache.fuse.KernelBridge}, which speaks the FUSE protocol on {@code /dev/fuse}
 * ({@code org.refcache.fuse.kernel}) and maps the kernel's node IDs to paths
 * ({@link org.refcache.fuse.NodeTable}: one node for all names of a hard-linked file). Without
 * the right to {@code mount(2)}, or when asked, jnr-fuse's loop over libfuse 2.9 calls them
 * instead ({@link org.refcache.fuse.FuseOptions.Transport}).
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
 *       kernel straight from their layer files, with those files' page cache (see
 *       {@link org.refcache.fuse.KernelBridge}).</li>
 *   <li>Page cache: files of trees that can never change (read-only, or frozen) are opened with
 *       {@code keep_cache}, so their pages survive across opens; files of writable trees are not
 *       (under libfuse 2.9 each hard link is its own kernel inode, so the next open of any name
 *       must see what was written through another). This is why the mount does not use
 *       {@code -o kernel_cache}, which would keep pages for every open.</li>
 *   <li>Entries and attributes: all changes go through the mount, and the kernel refreshes what it
 *       caches for the inode an operation went through. The kernel transport lets names,
 *       attributes and listings inside trees that can never change live for
 *       {@link org.refcache.fuse.FuseOptions#UNCHANGING_TIMEOUT} and drops them when the ref goes
 *       ({@link org.refcache.fuse.FuseMount#invalidate}); the mount's timeouts cover the rest
 *       (see {@link org.refcache.fuse.FuseOptions}).</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The kernel transport's workers (or libfuse's multi-threaded loop) call in from many threads at
 * once. The lease cache is lock-free
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
