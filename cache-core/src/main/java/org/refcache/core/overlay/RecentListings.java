package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.refcache.posix.Stat;

/**
 * Merged listings of directories that never change, bounded by the number of entries they hold
 * (not of directories: one directory may hold a million names). A full cache is emptied at once,
 * as the resolution cache's link counts are: cheaper than keeping an order every read would lock.
 */
final class RecentListings {
  private final int maxEntries;
  private final ConcurrentHashMap<String, List<Listed>> listings = new ConcurrentHashMap<>();
  private final AtomicInteger entries = new AtomicInteger();

  RecentListings(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** Directories being listed now, by the thread that lists them. */
  private final ConcurrentHashMap<String, CompletableFuture<List<Listed>>> making =
      new ConcurrentHashMap<>();

  /**
   * The listing of {@code dir}: the one kept, else the one another thread is making (waited
   * for: a walk that catches up with the read-ahead would otherwise list the directory again, and
   * each listing stats every entry), else made by {@code make} now and kept.
   */
  List<Listed> listing(String dir, OverlayTree.IoAction<List<Listed>> make)
      throws IOException {
    List<Listed> known = listings.get(dir);
    if (known != null) {
      return known;
    }
    CompletableFuture<List<Listed>> mine = new CompletableFuture<>();
    CompletableFuture<List<Listed>> other = making.putIfAbsent(dir, mine);
    if (other != null) {
      try {
        return other.join();
      } catch (CompletionException | CancellationException failed) {
        return make.run(); // its failure is reported to the thread that made it; this one tries
      }
    }
    try {
      List<Listed> made = make.run();
      put(dir, made);
      mine.complete(made);
      return made;
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      making.remove(dir, mine);
    }
  }

  /**
   * The stat that the kept listing of {@code path}'s directory read for it, if that entry is the
   * file {@code real}; else null (no listing kept, no such name, or another layer's entry).
   */
  Stat listedStat(String path, Path real) {
    List<Listed> listing = listings.get(TreePath.parent(path));
    if (listing == null) {
      return null;
    }
    Listed entry = find(listing, TreePath.name(path));
    return entry != null && entry.isFile(real) ? entry.stat() : null;
  }

  /** The entry {@code name} of {@code listing}, or null. */
  static Listed find(List<Listed> listing, String name) {
    int low = 0;
    int high = listing.size() - 1;
    while (low <= high) { // a listing is in name order (OverlayTree.mergedListing)
      int middle = (low + high) >>> 1;
      Listed entry = listing.get(middle);
      int order = entry.name().compareTo(name);
      if (order == 0) {
        return entry;
      }
      if (order < 0) {
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return null;
  }

  /** The listing of {@code dir}, or null. */
  List<Listed> get(String dir) {
    return listings.get(dir);
  }

  /** Whether {@link #put} keeps {@code listing}: a huge directory is listed again instead. */
  boolean keeps(List<Listed> listing) {
    return listing.size() <= maxEntries / 4;
  }

  void put(String dir, List<Listed> listing) {
    if (!keeps(listing)) {
      return; // rather than evicting everything else
    }
    if (entries.addAndGet(listing.size() + 1) > maxEntries) {
      listings.clear();
      entries.set(listing.size() + 1);
    }
    listings.put(dir, listing);
  }
}
