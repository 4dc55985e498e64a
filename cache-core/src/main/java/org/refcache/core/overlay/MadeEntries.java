package org.refcache.core.overlay;

/**
 * The tree paths of upper entries that a {@link WritableOverlayTree} made itself (create, mkdir,
 * mknod, symlink) and that still name what it made, with no extended attribute set since. Two
 * questions are then answered without a system call:
 * <ul>
 *   <li>the entry is in the upper, at its path there, so a change of its attributes (chmod,
 *       chown, utimens) needs no lookup to decide on a copy-up;</li>
 *   <li>it has no {@code security.capability}, which the kernel asks for at a file's first write
 *       and at every chown ({@code security_inode_need_killpriv}).</li>
 * </ul>
 *
 * <p>Why that is certain: a new inode has no {@code security.capability} (no filesystem or LSM
 * adds one; only {@code setxattr(2)} does, {@code setcap} included), and the tree is the upper's
 * only writer, so one can only come through {@link WritableOverlayTree#setXattr} on the path
 * (which {@link #forget}s it) or on another name of the same file, which only
 * {@link WritableOverlayTree#link} makes (which forgets both paths). A path stops naming the
 * entry only by unlink, rmdir or rename (whiteouts included: only those make one), which forget
 * it and everything below it. Mutations run under the tree's write lock, the questions under
 * its read or write lock. Bounded: full, it starts over (an unknown path is looked up as
 * before).
 */
final class MadeEntries {

  /** The extended attribute known to be missing here. */
  static final String CAPABILITY = "security.capability";

  /** Path to whether it is a symbolic link. */
  private final PathSubtrees<Boolean> known = new PathSubtrees<>(1 << 17);

  /** Whether {@code path} is an entry the tree made that has no {@code security.capability}. */
  boolean lacksCapability(String path) {
    return known.contains(path);
  }

  /** Whether {@code path} is an entry the tree made, in the upper at that path. */
  boolean isMade(String path) {
    return known.contains(path);
  }

  /** Whether {@code path} is an entry the tree made that is not a symbolic link. */
  boolean isMadeNonSymlink(String path) {
    return Boolean.FALSE.equals(known.get(path));
  }

  /** Records that the tree has just made {@code path} (a new inode, no xattrs set). */
  void made(String path, boolean symlink) {
    known.put(path, symlink);
  }

  /** Forgets {@code path} and every path below it. */
  void forget(String path) {
    known.forget(path);
  }
}
