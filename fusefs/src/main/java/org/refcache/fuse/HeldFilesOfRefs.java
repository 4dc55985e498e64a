package org.refcache.fuse;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

/**
 * Refs committed, released or gone while the kernel held files of them, when opens take no
 * request: the view cannot know which of those files are open, so it keeps the ref's tree (and
 * so its data, {@link RefTrees#keepForHeldFiles}) until the kernel has forgotten every one of
 * them, as an unlinked file keeps its blocks on ext4 until its last close. A pruned ref's record
 * goes at once; only the deletion of its data waits.
 *
 * <p>Thread safety: every method is synchronized. A node forgotten while its ref is being
 * recorded here is not counted: {@link #track} keeps only the nodes the table still knows, and
 * the table drops a node before {@link #forgotten} is called for it.
 */
final class HeldFilesOfRefs {

  private final Map<String, Set<Long>> filesByRef = new HashMap<>();
  private final Map<Long, String> refByFile = new HashMap<>();
  private final Consumer<String> release;

  /**
   * @param release lets a ref's kept tree go ({@link RefTrees#releaseKept}), once the kernel
   *                forgot its last file
   */
  HeldFilesOfRefs(Consumer<String> release) {
    this.release = release;
  }

  /**
   * Records that ref {@code refId}'s tree is kept for {@code files} held by the kernel; those
   * {@code known} no longer are not counted. Lets the ref go at once when none is left.
   */
  void track(String refId, Iterable<Long> files, LongPredicate known) {
    boolean none;
    synchronized (this) {
      Set<Long> held = filesByRef.computeIfAbsent(refId, r -> new HashSet<>());
      for (long file : files) {
        if (known.test(file) && refByFile.putIfAbsent(file, refId) == null) {
          held.add(file);
        }
      }
      none = held.isEmpty();
      if (none) {
        filesByRef.remove(refId);
      }
    }
    if (none) {
      release.accept(refId);
    }
  }

  /** The kernel forgot node {@code nodeId}: the last one of a kept ref lets its tree go. */
  void forgotten(long nodeId) {
    String last = null;
    synchronized (this) {
      String refId = refByFile.remove(nodeId);
      if (refId == null) {
        return;
      }
      Set<Long> held = filesByRef.get(refId);
      held.remove(nodeId);
      if (held.isEmpty()) {
        filesByRef.remove(refId);
        last = refId;
      }
    }
    if (last != null) {
      release.accept(last);
    }
  }

  /** How many kept refs wait for the kernel to forget their files (tests). */
  synchronized int size() {
    return filesByRef.size();
  }
}
