package org.refcache.core.cache;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which a size-limited prune removes records (spec 4.3 {@code sortDeleteRecords}):
 * least recently and least frequently used first. Each record gets a rank by last use (never used
 * first; equal times share a rank) and one by use count; its score is the sum of both ranks, each
 * divided by the largest; lowest score first, ties by last use then ID (BuildKit leaves ties to
 * chance).
 */
final class PruneOrder {
  private PruneOrder() {}

  /** What ordering needs of one record. */
  interface Usage {
    Instant lastUsedAt();

    int usageCount();

    String id();

    void score(double s);
  }

  /** Sets every item's score. */
  static void score(List<? extends Usage> items) {
    List<Usage> byTime = new ArrayList<>(items);
    byTime.sort(Comparator.comparing(Usage::lastUsedAt, Comparator.nullsFirst(Comparator.naturalOrder())));
    int[] timeRank = new int[byTime.size()];
    int maxTime = 0;
    Instant last = null;
    for (int i = 0; i < byTime.size(); i++) {
      Instant t = byTime.get(i).lastUsedAt();
      if (t != null && (last == null || t.isAfter(last))) {
        last = t;
        maxTime++;
      }
      timeRank[i] = maxTime;
    }
    List<Usage> byCount = new ArrayList<>(items);
    byCount.sort(Comparator.comparingInt(Usage::usageCount));
    java.util.IdentityHashMap<Usage, Integer> countRank = new java.util.IdentityHashMap<>();
    int maxCount = 0;
    int count = 0;
    for (Usage u : byCount) {
      if (u.usageCount() != count) {
        count = u.usageCount();
        maxCount++;
      }
      countRank.put(u, maxCount);
    }
    for (int i = 0; i < byTime.size(); i++) {
      Usage u = byTime.get(i);
      double s = (maxTime == 0 ? 0 : (double) timeRank[i] / maxTime)
          + (maxCount == 0 ? 0 : (double) countRank.get(u) / maxCount);
      u.score(s);
    }
  }
}
