package org.refcache.core.overlay;

import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The tree paths of upper entries that a {@link WritableOverlayTree} made itself (create, mkdir,
 * mknod, symlink) and that no extended attribute was set on since: they have no
 * {@code security.capability}, so the kernel's question for it (GETXATTR at a file's first write
 * and at every chown, from {@code security_inode_need_killpriv}) is answered without a system
 * call.
 *
 * <p>Why that is certain: a new inode has no {@code security.capability} (no filesystem or LSM
 * adds one; only {@code setxattr(2)} does, {@code setcap} included), and the tree is the upper's
 * only writer, so one can only come through {@link WritableOverlayTree#setXattr} on the path
 * (which {@link #forget}s it) or on another name of the same file, which only
 * {@link WritableOverlayTree#link} makes (which forgets the linked path). The path stops naming
 * that file only by unlink, rmdir or rename, which forget it and everything below it. Mutations
 * run under the tree's write lock, the question under its read lock. Bounded: full, it starts
 * over (an unknown path is asked of the filesystem as before).
 */
final class UncappedEntries {

  /** The extended attribute known to be missing here. */
  static final String CAPABILITY = "security.capability";

  private static final int CAPACITY = 1 << 17;

  private final ConcurrentSkipListSet<String> known = new ConcurrentSkipListSet<>();

  /** Whether {@code path} is an entry the tree made that has no {@code security.capability}. */
  boolean lacksCapability(String path) {
    return known.contains(path);
  }

  /** Records that the tree has just made {@code path} (a new inode, no xattrs set). */
  void made(String path) {
    if (known.size() >= CAPACITY) {
      known.clear();
    }
    known.add(path);
  }

  /** Forgets {@code path} and every path below it. */
  void forget(String path) {
    if (path.isEmpty()) {
      known.clear();
      return;
    }
    known.remove(path);
    // Every "path/..." sorts from "path/" up to "path0" ('0' follows '/').
    known.subSet(path + '/', path + '0').clear();
  }
}
