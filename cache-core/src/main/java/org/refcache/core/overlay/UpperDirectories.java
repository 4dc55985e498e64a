package org.refcache.core.overlay;

/**
 * The tree paths known to be directories in the upper of a {@link WritableOverlayTree}, so that a
 * lookup walks through them without an {@code lstat} per component: only the last component of a
 * path is read from the upper (its attributes are the answer, and they change).
 *
 * <p>What a path is known to be here stays true until a mutation that can remove, move or replace
 * a directory of the upper: rmdir, unlink and rename (both names), which {@link #forget} the path
 * and everything below it, under the tree's write lock. Nothing else turns an upper directory into
 * something else: the tree is the upper's only writer, creates and copy-ups only add directories
 * (a directory put over a whiteout replaces a whiteout, never a directory), and commit freezes the
 * tree. Lookups run under the read lock, when no mutation runs, so what they record is the upper
 * as it is. Bounded: full, it starts over.
 */
final class UpperDirectories {

  private final PathSubtrees<Boolean> known = new PathSubtrees<>(1 << 17);

  /** Whether {@code path} (not the root) is known to be a directory in the upper. */
  boolean isDirectory(String path) {
    return known.contains(path);
  }

  /** Records that {@code path} is a directory in the upper (a lookup has just seen it). */
  void add(String path) {
    known.put(path, Boolean.TRUE);
  }

  /** Forgets {@code path} and every path below it: they may have gone, moved or been replaced. */
  void forget(String path) {
    known.forget(path);
  }

  /** How many paths are known (for tests). */
  int size() {
    return known.size();
  }
}
