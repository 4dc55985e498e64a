package org.refcache.core.overlay;

import java.time.Instant;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The ctimes a writable tree reports for entries a copy-up touched. A copy-up changes nothing a
 * caller can see, yet it changes real ctimes, which cannot be set: the copy's (a new inode), and
 * its parent directory's (an entry renamed into it, its times put back). So the tree remembers,
 * per path, the real ctime right after the copy-up and the ctime the entry showed before it; while
 * the real ctime is still that one, the entry reports the earlier one, as ext4 would. Any later
 * change of the entry moves its real ctime on, and from then on the real one is reported.
 *
 * <p>Kept in memory for the life of the tree: after a restart, and in the read-only tree of its
 * commit, such an entry reports its real ctime (a copy-up's ctime, once). It cannot be kept on
 * disk with the entry: writing anything to an inode moves its ctime again.
 */
final class CopyUpCtimes {

  /** path -> {real ctime after the copy-up, ctime to report}, in nanoseconds since the epoch. */
  private final ConcurrentSkipListMap<String, long[]> masks = new ConcurrentSkipListMap<>();

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** The ctime to report for the upper entry at {@code path}, whose real ctime is {@code real}. */
  Instant shown(String path, Instant real) {
    long realNanos = nanos(real);
    long shown = reported(path, realNanos);
    return shown == realNanos ? real
        : Instant.ofEpochSecond(Math.floorDiv(shown, 1_000_000_000L),
            Math.floorMod(shown, 1_000_000_000L));
  }

  /** The ctime to report for {@code path}, whose real ctime is {@code realNanos}. */
  long reported(String path, long realNanos) {
    long[] mask = masks.get(path);
    return mask != null && mask[0] == realNanos ? mask[1] : realNanos;
  }

  /** A copy-up moved the real ctime of {@code path} to {@code realAfter}; it showed {@code shown}. */
  void copiedUp(String path, long shown, long realAfter) {
    masks.put(path, new long[] {realAfter, shown});
  }

  /** Forgets {@code path} and everything below it. */
  void forget(String path) {
    masks.remove(path);
    if (path.isEmpty()) {
      masks.clear();
    } else {
      masks.subMap(path + "/", true, path + "0", false).clear(); // '0' follows '/'
    }
  }
}
