package org.refcache.core.cache;

/**
 * What one garbage collection removed.
 *
 * @param blobs blobs removed from {@code content/blobs}
 * @param layers unpacked layers removed from {@code layers/}
 * @param uppers upper directories removed from {@code uppers/}
 * @param freedBytes bytes freed, measured: the allocated blocks of every file and directory whose
 *     last link it removed, statted just before each unlink
 * @param kept unreferenced objects it kept because they are recent (stored within the grace period,
 *     or since an open {@link WorkLease} began)
 */
public record GcResult(int blobs, int layers, int uppers, long freedBytes, int kept) {
  /** Nothing collected. */
  public static final GcResult NONE = new GcResult(0, 0, 0, 0, 0);
}
