package org.refcache.core.overlay;

import java.util.concurrent.ConcurrentHashMap;
import org.refcache.posix.Stat;

/**
 * The {@code lstat} a merged listing just read for each non-directory of the read-only layers,
 * kept for the one attribute read that follows it in a walk ({@code READDIRPLUS}, {@code find},
 * {@code ls -l}): that read takes it instead of an {@code lstat} of its own, so a walk reads each
 * file's metadata once. Taken once: any later read stats the file again (its atime may have moved
 * since). Bounded; a full map is emptied at once, as {@link RecentListings}.
 */
final class ListedStats {
  private final int maxEntries;
  private final ConcurrentHashMap<String, Stat> stats = new ConcurrentHashMap<>();

  ListedStats(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  void put(String path, Stat stat) {
    if (stats.size() >= maxEntries) {
      stats.clear();
    }
    stats.put(path, stat);
  }

  /**
   * The stat the listing read for {@code path}, if it is still the one {@code node} was made from
   * (the very object: a resolution made again since stats again), removed; else null.
   */
  Stat take(String path, Node node) {
    Stat listed = stats.remove(path);
    return listed == node.stat() ? listed : null;
  }
}
