package org.refcache.core.overlay;

import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What a writable tree knows about some of its paths, forgotten a whole subtree at a time: a path
 * that is removed, moved or replaced takes everything below it along. Sorted, so a subtree is one
 * range ({@code "path/"} up to {@code "path0"}: {@code '0'} follows {@code '/'}). Bounded: full,
 * it starts over (what is not known any more is looked up as before).
 *
 * @param <V> what is known of a path
 */
final class PathSubtrees<V> {

  private final int capacity;
  private final ConcurrentSkipListMap<String, V> known = new ConcurrentSkipListMap<>();

  PathSubtrees(int capacity) {
    this.capacity = capacity;
  }

  /** What is known of {@code path}, or null. */
  V get(String path) {
    return known.get(path);
  }

  boolean contains(String path) {
    return known.containsKey(path);
  }

  void put(String path, V value) {
    if (known.size() >= capacity) {
      known.clear();
    }
    known.put(path, value);
  }

  /** Forgets {@code path} and every path below it ({@code ""}: everything). */
  void forget(String path) {
    if (path.isEmpty()) {
      known.clear();
      return;
    }
    known.remove(path);
    known.subMap(path + '/', path + '0').clear();
  }

  int size() {
    return known.size();
  }
}
