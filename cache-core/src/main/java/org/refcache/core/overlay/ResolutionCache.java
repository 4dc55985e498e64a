package org.refcache.core.overlay;

import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolutions of immutable layers, bounded. Readers never block each other: a full cache drops a
 * quarter of its entries (in hash order, which is as good as random here) rather than keep an
 * access order that every lookup would have to lock.
 *
 * <p>Only for layers that never change: there is no invalidation.
 */
final class ResolutionCache {

  /** The default bound: about 64k resolved paths. */
  static final int DEFAULT_CAPACITY = 1 << 16;

  private final int capacity;
  /**
   * path -> its {@link Resolution}, or {@link #ABSENT}: not an {@code Optional} per entry, which
   * was one more object per cached path for the collector to trace (docs/PERFORMANCE.md, "The
   * merge walk, third pass"); {@link #get} makes one that does not outlive the caller.
   */
  private final ConcurrentHashMap<String, Object> entries;
  private static final Object ABSENT = new Object();

  ResolutionCache(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
    this.entries = new ConcurrentHashMap<>(Math.min(capacity, 1024));
  }

  /** The cached answer for {@code path}, or {@code null} when there is none. */
  Optional<Resolution> get(String path) {
    return optional(entries.get(path));
  }

  /** Caches {@code resolution} unless one is cached already; returns the one cached now. */
  Optional<Resolution> put(String path, Optional<Resolution> resolution) {
    if (entries.size() >= capacity) {
      evict();
    }
    Object earlier = entries.putIfAbsent(path, resolution.isPresent() ? resolution.get() : ABSENT);
    return earlier != null ? optional(earlier) : resolution;
  }

  /** What an entry's value stands for; null for no entry. */
  private static Optional<Resolution> optional(Object value) {
    if (value == null) {
      return null;
    }
    return value == ABSENT ? Optional.empty() : Optional.of((Resolution) value);
  }

  int size() {
    return entries.size();
  }

  private void evict() {
    int target = capacity - Math.max(1, capacity / 4);
    Iterator<String> keys = entries.keySet().iterator();
    while (entries.size() > target && keys.hasNext()) {
      keys.next();
      keys.remove();
    }
  }
}
