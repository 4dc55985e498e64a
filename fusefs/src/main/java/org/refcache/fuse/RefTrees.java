package org.refcache.fuse;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded cache of opened refs: a ref's lease is opened on first access and kept until it is
 * invalidated, evicted (least recently used first, once more than {@code capacity} refs are open)
 * or the mount closes. Open files hold their own use of a {@link RefTree}, so the lease outlives
 * its cache entry while they are open.
 *
 * <p>Thread-safe and lock-free on the hit path (a map lookup and a CAS). Opening a ref happens
 * once even under concurrent first accesses: later callers wait for the first one's result; a
 * failed or negative open is not remembered, so the next access tries again.
 */
final class RefTrees implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RefTrees.class);

  private final RefTreeSource source;
  private final int capacity;
  private final Map<String, CompletableFuture<RefTree>> open = new ConcurrentHashMap<>();
  /**
   * Refs committed, released or gone while the kernel held files of them: one use of each tree,
   * kept until the kernel forgot the last of those files ({@link #keepForHeldFiles}).
   */
  private final Map<String, RefTree> keptForHeldFiles = new ConcurrentHashMap<>();
  private final AtomicLong clock = new AtomicLong();
  private volatile boolean closed;

  RefTrees(RefTreeSource source, int capacity) {
    this.source = source;
    this.capacity = capacity;
  }

  /**
   * The ref {@code id} with one use retained for the caller, who must {@link RefTree#close()} it;
   * empty when the ID is unknown or the mount is closing.
   *
   * @throws RuntimeException what {@link RefTreeSource#open} threw
   */
  Optional<RefTree> acquire(String id) {
    while (!closed) {
      CompletableFuture<RefTree> pending = open.get(id);
      if (pending == null) {
        CompletableFuture<RefTree> mine = new CompletableFuture<>();
        pending = open.putIfAbsent(id, mine);
        if (pending == null) {
          pending = mine;
          openInto(id, mine);
        }
      }
      RefTree tree;
      try {
        tree = pending.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException cause ? cause : e;
      }
      if (tree == null) {
        return Optional.empty();
      }
      if (tree.tryRetain()) {
        tree.touch(clock.incrementAndGet());
        return Optional.of(tree);
      }
      open.remove(id, pending); // closed under us (invalidated); open it again
    }
    return Optional.empty();
  }

  /**
   * As {@link #acquire}, but the tree kept for the files the kernel holds ({@link #keepForHeldFiles})
   * first: for opening those files by node, also once the ref is gone, as an unlinked file stays
   * readable while open.
   */
  Optional<RefTree> acquireKept(String id) {
    RefTree kept = keptForHeldFiles.get(id);
    if (kept != null && kept.tryRetain()) {
      kept.touch(clock.incrementAndGet());
      return Optional.of(kept);
    }
    return acquire(id);
  }

  /**
   * Keeps one use of ref {@code id}'s tree for the files of it the kernel holds, when the ref is
   * committed, released or goes (call it before {@link #invalidate}): the kernel may hold them
   * open without the view knowing (opens without requests), and they must stay readable, as an
   * unlinked open file does, also once the ref is pruned: its record goes at once, only its data
   * waits (the lease keeps it) until {@link #releaseKept}.
   *
   * @return whether the tree is kept: false when it was not open (evicted from the cache) and
   *         cannot be opened any more (its record is gone already)
   */
  boolean keepForHeldFiles(String id) {
    RefTree tree = null;
    CompletableFuture<RefTree> slot = open.get(id);
    if (slot != null && slot.isDone() && !slot.isCompletedExceptionally()) {
      tree = slot.getNow(null);
      if (tree != null && !tree.tryRetain()) {
        tree = null;
      }
    }
    if (tree == null) {
      tree = acquire(id).orElse(null); // evicted meanwhile: open it again while it exists
      if (tree == null) {
        return false;
      }
    }
    RefTree before = keptForHeldFiles.putIfAbsent(id, tree);
    if (before != null) {
      tree.close(); // kept already
    }
    return true;
  }

  /** Lets go of the use {@link #keepForHeldFiles} kept: the kernel holds no file of the ref any more. */
  void releaseKept(String id) {
    RefTree kept = keptForHeldFiles.remove(id);
    if (kept != null) {
      kept.close();
    }
  }

  /** How many refs are kept for files the kernel holds (tests). */
  int keptForHeldFiles() {
    return keptForHeldFiles.size();
  }

  /** Whether ref {@code id} is open (an access would not wait for an open, not even another's). */
  boolean isOpen(String id) {
    CompletableFuture<RefTree> tree = open.get(id);
    return tree != null && tree.isDone() && !tree.isCompletedExceptionally();
  }

  /**
   * Whether ref {@code id} is open and its tree can never change again ({@link RefTree#immutable}),
   * without opening it.
   */
  boolean isImmutable(String id) {
    CompletableFuture<RefTree> pending = open.get(id);
    if (pending == null || !pending.isDone() || pending.isCompletedExceptionally()) {
      return false;
    }
    RefTree tree = pending.getNow(null);
    return tree != null && tree.immutable();
  }

  private void openInto(String id, CompletableFuture<RefTree> slot) {
    RefTree tree;
    try {
      Optional<RefLease> lease = source.open(id);
      if (lease.isEmpty()) {
        open.remove(id, slot);
        slot.complete(null);
        return;
      }
      tree = new RefTree(id, lease.get());
    } catch (RuntimeException | Error e) {
      open.remove(id, slot);
      slot.completeExceptionally(e);
      throw e;
    }
    tree.touch(clock.incrementAndGet());
    slot.complete(tree);
    if (open.get(id) != slot || closed) {
      tree.dropFromCache(); // invalidated or closed while it was being opened
    }
    evictBeyondCapacity();
  }

  /** Drops ref {@code id} from the cache; its lease closes once no open file uses it. */
  void invalidate(String id) {
    CompletableFuture<RefTree> slot = open.remove(id);
    if (slot != null) {
      dropWhenOpened(slot);
    }
  }

  private void evictBeyondCapacity() {
    while (open.size() > capacity) {
      Map.Entry<String, CompletableFuture<RefTree>> oldest = null;
      long oldestUse = Long.MAX_VALUE;
      for (Map.Entry<String, CompletableFuture<RefTree>> entry : open.entrySet()) {
        RefTree tree = entry.getValue().getNow(null);
        if (tree != null && tree.lastUse() < oldestUse) {
          oldest = entry;
          oldestUse = tree.lastUse();
        }
      }
      if (oldest == null) {
        return; // only refs being opened: nothing to evict yet
      }
      if (open.remove(oldest.getKey(), oldest.getValue())) {
        LOG.debug("evicting ref {} from the lease cache", oldest.getKey());
        dropWhenOpened(oldest.getValue());
      }
    }
  }

  private static void dropWhenOpened(CompletableFuture<RefTree> slot) {
    RefTree tree = slot.getNow(null);
    if (tree != null) {
      tree.dropFromCache();
    }
    // Still opening: openInto sees the slot gone and drops it itself.
  }

  /** How many refs the cache holds open ({@link FuseMount#cachedRefs()}). */
  int size() {
    return open.size();
  }

  /**
   * Drops every cached ref; later {@link #acquire} calls answer empty. Idempotent.
   *
   * @throws RuntimeException the first failure to close a lease, the others suppressed in it,
   *                          after every ref was dropped
   */
  @Override
  public void close() {
    closed = true;
    RuntimeException failure = null;
    for (String id : keptForHeldFiles.keySet()) {
      try {
        releaseKept(id);
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    for (String id : open.keySet()) {
      try {
        invalidate(id);
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
