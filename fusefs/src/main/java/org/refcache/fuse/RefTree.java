package org.refcache.fuse;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;

/**
 * One opened ref: its lease and tree, shared by the lease cache, by the operation in flight and by
 * every open file of the ref. It counts its users and closes the lease when the last one is done,
 * so dropping the ref from the cache ({@link FuseMount#invalidate}, eviction, unmount) never pulls
 * the data from under an open file or a running operation.
 *
 * <p>{@link #close()} releases one use (so a use fits try-with-resources); call it once per
 * successful {@link #tryRetain()}, and once for the reference the cache created it with.
 */
final class RefTree implements AutoCloseable {

  private final String id;
  private final RefLease lease;
  private final OverlayTree tree;
  /** Starts at 1: the cache's reference. 0 means closed for good. */
  private final AtomicInteger users = new AtomicInteger(1);
  private final AtomicBoolean inCache = new AtomicBoolean(true);
  private volatile long lastUse;

  RefTree(String id, RefLease lease) {
    this.id = id;
    this.lease = lease;
    this.tree = lease.tree();
    if (tree == null) {
      throw new IllegalStateException("lease of ref " + id + " has no tree");
    }
  }

  String id() {
    return id;
  }

  OverlayTree tree() {
    return tree;
  }

  /**
   * The tree if mutations are possible now: a writable tree not yet frozen. This is the one place
   * that decides EROFS.
   */
  WritableOverlayTree writableOrNull() {
    return tree instanceof WritableOverlayTree writable && !writable.frozen() ? writable : null;
  }

  /**
   * Whether the tree's content can never change again, so the kernel may keep its page cache
   * across opens: a read-only tree, or a writable one frozen by a commit.
   */
  boolean immutable() {
    return !(tree instanceof WritableOverlayTree writable) || writable.frozen();
  }

  /** Adds a user unless the lease is already closed. */
  boolean tryRetain() {
    while (true) {
      int n = users.get();
      if (n <= 0) {
        return false;
      }
      if (users.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Releases one user; the last one closes the lease. */
  @Override
  public void close() {
    int left = users.decrementAndGet();
    if (left == 0) {
      lease.close();
    } else if (left < 0) {
      throw new IllegalStateException("ref " + id + " released more often than retained");
    }
  }

  /** Drops the cache's reference, once however often it is called. */
  void dropFromCache() {
    if (inCache.compareAndSet(true, false)) {
      close();
    }
  }

  void touch(long now) {
    lastUse = now;
  }

  long lastUse() {
    return lastUse;
  }

}
