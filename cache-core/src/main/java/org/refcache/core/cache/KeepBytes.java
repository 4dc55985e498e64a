package org.refcache.core.cache;

/**
 * How many bytes a prune keeps (spec 4.3 step 4, BuildKit's {@code calculateKeepBytes}; spec case
 * 29): the max-used space, lowered so that the min-free space is free, raised to the reserved space.
 */
public final class KeepBytes {
  private KeepBytes() {}

  /**
   * @param total what the cache takes now
   * @param free what the state root's filesystem has free now (used only with a min-free space)
   * @return 0 when no limit is set (no cap: everything eligible goes); otherwise prune stops once
   *     the cache takes less than this. It may be negative (free space cannot be reached): then
   *     everything eligible goes too.
   */
  public static long calculate(long total, long free, PruneOptions o) {
    if (!o.hasSpaceLimits()) {
      return 0;
    }
    long keep = o.maxUsedSpace();
    long excess = o.minFreeSpace() - free;
    if (o.minFreeSpace() != 0 && excess > 0) {
      keep = keep == 0 ? total - excess : Math.min(keep, total - excess);
    } else if (o.minFreeSpace() != 0 && keep == 0) {
      keep = total; // enough free space: nothing needs to go
    }
    return Math.max(keep, o.reservedSpace());
  }
}
