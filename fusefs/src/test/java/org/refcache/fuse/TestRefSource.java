package org.refcache.fuse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.refcache.core.overlay.OverlayTree;

/**
 * A {@link RefTreeSource} over trees built by hand, counting opened and closed leases per ref so
 * tests can check that every lease is released.
 */
final class TestRefSource implements RefTreeSource {

  private final Map<String, Supplier<OverlayTree>> refs = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> opened = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> closed = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private volatile RuntimeException failure;
  private final Map<String, java.util.concurrent.CountDownLatch> gates = new ConcurrentHashMap<>();
  private final java.util.Set<String> lazy = ConcurrentHashMap.newKeySet();

  /** Serves {@code tree} (the same object on every open) as ref {@code id}. */
  TestRefSource add(String id, OverlayTree tree) {
    refs.put(id, () -> tree);
    return this;
  }

  void remove(String id) {
    refs.remove(id);
  }

  /** Makes opens of {@code id} wait until {@code gate} opens. */
  void holdOpens(String id, java.util.concurrent.CountDownLatch gate) {
    gates.put(id, gate);
  }

  /** Says {@code id}'s open would unpack lazy layers ({@link #wouldUnpack}). */
  void markLazy(String id) {
    lazy.add(id);
  }

  @Override
  public boolean wouldUnpack(String id) {
    return lazy.contains(id) && refs.containsKey(id);
  }

  /** Makes every open fail with {@code e} until cleared with null. */
  void failOpens(RuntimeException e) {
    failure = e;
  }

  @Override
  public List<String> refIds() {
    return List.copyOf(new TreeMap<>(refs).keySet());
  }

  @Override
  public Optional<RefLease> open(String id) {
    RuntimeException fail = failure;
    if (fail != null) {
      throw fail;
    }
    counter(attempts, id).incrementAndGet();
    java.util.concurrent.CountDownLatch gate = gates.get(id);
    if (gate != null) {
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    Supplier<OverlayTree> tree = refs.get(id);
    if (tree == null) {
      return Optional.empty();
    }
    counter(opened, id).incrementAndGet();
    OverlayTree served = tree.get();
    AtomicInteger closes = counter(closed, id);
    return Optional.of(new RefLease() {
      private boolean done;

      @Override
      public OverlayTree tree() {
        return served;
      }

      @Override
      public synchronized void close() {
        if (done) {
          throw new IllegalStateException("lease of " + id + " closed twice");
        }
        done = true;
        closes.incrementAndGet();
      }
    });
  }

  /** Calls of {@link #open} for {@code id}, counted on entry (before any gate). */
  int attempts(String id) {
    return counter(attempts, id).get();
  }

  int opened(String id) {
    return counter(opened, id).get();
  }

  int closed(String id) {
    return counter(closed, id).get();
  }

  /** Leases opened and not closed yet, over every ref. */
  int leasesHeld() {
    int held = 0;
    for (Map.Entry<String, AtomicInteger> e : opened.entrySet()) {
      held += e.getValue().get() - counter(closed, e.getKey()).get();
    }
    return held;
  }

  private static AtomicInteger counter(Map<String, AtomicInteger> counters, String id) {
    return counters.computeIfAbsent(id, k -> new AtomicInteger());
  }
}
