/**
 * The libfuse 2.9 transport: jnr-fuse's loop over libfuse's path-based API
 * ({@link org.refcache.fuse.libfuse.LibfuseFileSystem}, a {@code FuseStubFS}) calling the view's
 * operations ({@link org.refcache.fuse.ViewOperations}), mounted through {@code fusermount}. The
 * fallback where {@code mount(2)} is refused, or chosen with
 * {@code REFCACHE_FUSE_TRANSPORT=libfuse}.
 *
 * <p>The only package that knows jnr-fuse: {@code FuseMount} loads
 * {@link org.refcache.fuse.libfuse.LibfuseTransport} by name when this transport is chosen, so
 * the kernel transport never loads jnr-fuse or libfuse.
 *
 * <p>Its limits, libfuse 2.9's: each name of a hard-linked file is its own kernel inode
 * (attributes of the other names stale for up to the attribute timeout), no {@code renameat2}
 * flags (EINVAL), no ctime-only {@code SETATTR}, lookups in one directory one at a time, 128 KiB
 * requests, and a rename over an open file hides that file before the rename is tried (so a
 * failed rename still takes the name away).
 */
package org.refcache.fuse.libfuse;
