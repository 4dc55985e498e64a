package org.refcache.core.overlay;

/**
 * Told when a lower regular file of a {@link WritableOverlayTree} is copied up, so that
 * descriptors opened for reading on the lower file can follow the copy (as on overlayfs since
 * Linux 4.19, and as on a plain filesystem, where there is only one file).
 */
public interface CopyUpListener {

  /**
   * Whether the listener wants the copy of lower file {@code dev}/{@code ino}. Asked under the
   * tree's write lock: it must answer at once, without blocking or calling the tree.
   */
  boolean wants(long dev, long ino);

  /**
   * The copy of lower file {@code dev}/{@code ino}, opened {@code O_RDONLY} as {@code fd}, which
   * this call must close. Called after the mutation that copied it up, outside the tree's lock,
   * before the mutation returns to its caller.
   */
  void copiedUp(long dev, long ino, int fd);
}
