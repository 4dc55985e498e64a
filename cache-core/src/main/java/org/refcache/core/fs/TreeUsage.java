package org.refcache.core.fs;

import java.util.Map;

/**
 * What one directory tree (or single file) takes on disk, as {@code du} counts it: allocated
 * blocks. Inodes with more than one link are kept apart ({@link #linked}), so that a caller adding
 * up several trees can count an inode linked from two of them once.
 *
 * @param exists whether the tree was there
 * @param rootIno the inode number of its top (to tell a tree from one made again at the same path)
 * @param singleBytes bytes of directories and of files with a single link
 * @param linked bytes of each multiply-linked inode, by inode number
 */
public record TreeUsage(boolean exists, long rootIno, long singleBytes, Map<Long, Long> linked) {
  /** No tree. */
  public static final TreeUsage ABSENT = new TreeUsage(false, 0, 0, Map.of());

  public TreeUsage {
    linked = Map.copyOf(linked);
  }

  /** Every byte of the tree, each inode once. */
  public long bytes() {
    long total = singleBytes;
    for (long b : linked.values()) {
      total += b;
    }
    return total;
  }
}
