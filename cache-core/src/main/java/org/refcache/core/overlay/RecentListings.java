package org.refcache.core.overlay;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Merged listings of directories that never change, bounded by the number of entries they hold
 * (not of directories: one directory may hold a million names). A full cache is emptied at once,
 * as the resolution cache's link counts are: cheaper than keeping an order every read would lock.
 */
final class RecentListings {
  private final int maxEntries;
  private final ConcurrentHashMap<String, List<OverlayTree.Listed>> listings = new ConcurrentHashMap<>();
  private final AtomicInteger entries = new AtomicInteger();

  RecentListings(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** The listing of {@code dir}, or null. */
  List<OverlayTree.Listed> get(String dir) {
    return listings.get(dir);
  }

  void put(String dir, List<OverlayTree.Listed> listing) {
    if (listing.size() > maxEntries / 4) {
      return; // a huge directory is listed again rather than evicting everything else
    }
    if (entries.addAndGet(listing.size() + 1) > maxEntries) {
      listings.clear();
      entries.set(listing.size() + 1);
    }
    listings.put(dir, listing);
  }
}
