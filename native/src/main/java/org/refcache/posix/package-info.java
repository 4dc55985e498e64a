/**
 * POSIX calls {@code java.nio} lacks, bound with jnr-ffi for x86_64 Linux (glibc): ownership of
 * symlinks, full modes, device nodes, nanosecond and no-follow times, extended attributes, bind
 * mounts, {@code renameat2}, {@code statvfs}, {@code sd_notify}, and fd-level I/O for the FUSE hot
 * path.
 *
 * <p>Contract for callers:
 * <ul>
 *   <li>The calls are grouped by what they act on: {@link org.refcache.posix.Posix} (paths:
 *       metadata, names, listing; the mode and open-flag constants),
 *       {@link org.refcache.posix.Descriptors} (file descriptors),
 *       {@link org.refcache.posix.Xattrs} (extended attributes) and
 *       {@link org.refcache.posix.Mounting} (mount, bind mount, unmount).</li>
 *   <li>Path-level calls throw {@code java.nio.file} exceptions
 *       or {@link org.refcache.posix.NativeException}, always built by
 *       {@link org.refcache.posix.ErrnoMapper}; {@link org.refcache.posix.ErrnoMapper#toErrno}
 *       is the way back to the errno a FUSE reply needs.</li>
 *   <li>Calls documented as returning {@code -errno} never throw; they are meant for FUSE
 *       operations that read and write FUSE's buffers directly, without a Java copy.</li>
 *   <li>libc is loaded once, on the first native call; the binding itself is package-private.</li>
 * </ul>
 */
package org.refcache.posix;
