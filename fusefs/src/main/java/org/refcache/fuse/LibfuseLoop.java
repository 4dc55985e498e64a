package org.refcache.fuse;

/**
 * The libfuse 2.9 transport as {@link FuseMount} drives it: jnr-fuse's loop over libfuse's
 * path-based API, calling the view's operations. Implemented in {@code org.refcache.fuse.libfuse}
 * (the only package that knows jnr-fuse) and loaded by name only when that transport is chosen,
 * so that the kernel transport starts and serves on a host without libfuse 2.9.
 */
public interface LibfuseLoop {

  /** Mounts and serves until the mount goes: blocks (run on a thread of its own). */
  void run();

  /** Unmounts ({@code umount2}, {@code fusermount -u} where that is refused); logs failures. */
  void unmount();

  /** The mount was taken down (lazily, if busy): jnr-fuse must not unmount again at exit. */
  void markUnmounted();

  /** The options libfuse was given, for the log. */
  String arguments();
}
