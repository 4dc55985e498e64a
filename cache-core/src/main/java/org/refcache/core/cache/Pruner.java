package org.refcache.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.Value;
import org.refcache.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prune (spec 4.3-4.4): removes records nothing holds, as the options allow, least recently and
 * least frequently used first, until a size target is met or nothing is left to remove.
 *
 * <p>What may go: a record (a committed pair as one) with no handle but weak ones, which children
 * hold too (so children go before their parents, a parent becoming a candidate when its last child
 * goes); not of type {@code internal} or {@code frontend} unless {@code all}; not used within the
 * keep duration; matching the filter (every field applies, {@code parents} included). Records that
 * share data with others are not spared (refcache has no image store to share with: BuildKit's
 * reason to spare them): their shared data stays as long as another record uses it.
 *
 * <p>How: one snapshot ({@link DiskUsage#snapshot}: the only full pass over the records, under the
 * manager lock in chunks), ordered once; then batches of at most {@value #BATCH} records, each taking
 * the manager lock only to check its records are still unheld and take them out of memory (no I/O
 * under the lock). Outside it, their tombstones ({@code cache.deleted}) are written in one LMDB
 * transaction, then their metadata is cleared in one more; a crash in between leaves tombstones,
 * which the next start purges, and a crash before them leaves the records as they were. No data
 * is deleted here: the collector frees what no record uses any more. A record only weak handles
 * hold (a file open through the view) goes, its data stays until the last weak handle is released.
 * Interrupting the thread stops prune between batches.
 *
 * <p>Then the {@link GarbageCollector} frees the data: what the removed records alone used goes at
 * once (no grace), and the result says how many bytes that freed, measured.
 */
final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);
  static final int BATCH = 100;

  private final CacheManager cm;
  private final RecordStore records;
  private final MetadataStore store;
  private final DiskUsage du;
  private final StateLayout layout;
  private final Clock clock;
  private final ReentrantLock maintenance;
  private final GarbageCollector gc;

  Pruner(CacheManager cm, RecordStore records, MetadataStore store, DiskUsage du, StateLayout layout, Clock clock,
      ReentrantLock maintenance, GarbageCollector gc) {
    this.gc = gc;
    this.cm = cm;
    this.records = records;
    this.store = store;
    this.du = du;
    this.layout = layout;
    this.clock = clock;
    this.maintenance = maintenance;
  }

  /** A record prune may remove, and where it stands in the order. */
  private static final class Candidate implements PruneOrder.Usage {
    final UsageSnapshot.Row row;
    final UsageInfo info;
    double score;

    Candidate(UsageSnapshot.Row row, UsageInfo info) {
      this.row = row;
      this.info = info;
    }

    @Override
    public Instant lastUsedAt() {
      return info.lastUsedAt();
    }

    @Override
    public int usageCount() {
      return info.usageCount();
    }

    @Override
    public String id() {
      return info.id();
    }

    @Override
    public void score(double s) {
      score = s;
    }
  }

  private static final Comparator<Candidate> ORDER = Comparator.<Candidate>comparingDouble(c -> c.score)
      .thenComparing(Candidate::lastUsedAt, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(Candidate::id);

  /**
   * @param removed gets each removed record's row (one per committed pair)
   * @param removedIds gets the ID of every record removed (both of a pair), before {@code removed}
   */
  PruneResult prune(PruneOptions o, Consumer<UsageInfo> removed, Consumer<String> removedIds) {
    maintenance.lock();
    try {
      return pruneLocked(o, removed, removedIds);
    } finally {
      maintenance.unlock();
    }
  }

  private PruneResult pruneLocked(PruneOptions o, Consumer<UsageInfo> removed, Consumer<String> removedIds) {
    UsageSnapshot snap = du.snapshot();
    long total = du.ownFilesBytes();
    for (UsageSnapshot.Row r : snap.rows) {
      total += r.size();
    }
    long totalBefore = total;
    long keep = KeepBytes.calculate(total, o.minFreeSpace() != 0 ? freeBytes() : 0, o);
    Instant now = clock.instant();
    List<Candidate> eligible = new ArrayList<>();
    for (UsageSnapshot.Row r : snap.rows) {
      UsageInfo info = UsageSnapshot.info(cm, r);
      if (allowed(o, info, now)) {
        eligible.add(new Candidate(r, info));
      }
    }
    PruneOrder.score(eligible);
    PriorityQueue<Candidate> queue = new PriorityQueue<>(ORDER);
    Map<CacheRecord, Candidate> waiting = new IdentityHashMap<>();
    for (Candidate c : eligible) {
      if (c.row.holders == 0) {
        queue.add(c);
      } else {
        waiting.put(c.row.rec, c);
      }
    }
    Map<UsageSnapshot.ObjectState, int[]> users = new IdentityHashMap<>();
    for (UsageSnapshot.ObjectState s : snap.objects.values()) {
      users.put(s, new int[] {s.users});
    }
    LOG.info("prune ({}{}, keep {} bytes of {}): {} candidates, {} waiting for their children",
        o.all() ? "all, " : "", o.filter(), keep, total, queue.size(), waiting.size());
    int count = 0;
    long reclaimed = 0;
    boolean cancelled = false;
    Set<Path> released = new HashSet<>();
    if (!queue.isEmpty()) {
      gc.markPending();
    }
    while (keep == 0 || total >= keep) {
      if (Thread.currentThread().isInterrupted()) {
        cancelled = true;
        break;
      }
      List<Candidate> batch = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      long freed = 0;
      records.mu.lock();
      try {
        records.ensureOpen();
        while (batch.size() < BATCH && !queue.isEmpty() && (keep == 0 || total - freed >= keep)) {
          Candidate c = queue.poll();
          CacheRecord rec = c.row.rec;
          if (rec.isDead() || records.loadedLocked(rec.id) != rec) {
            continue; // removed by someone else meanwhile
          }
          if (UsageSnapshot.holders(rec) > 0) {
            waiting.put(rec, c); // taken again meanwhile (or a child was made): wait for it
            continue;
          }
          batch.add(c);
          ids.add(rec.id);
          CacheRecord partner = UsageSnapshot.partner(rec);
          if (partner != null) {
            ids.add(partner.id);
          }
          for (UsageSnapshot.ObjectState s : c.row.objects) {
            if (--users.get(s)[0] == 0 && !s.orphanUse) {
              freed += Math.max(0, s.bytes);
              released.add(s.object.path());
            }
          }
        }
        if (batch.isEmpty()) {
          break;
        }
        for (Candidate c : batch) {
          detachLocked(c.row.rec);
        }
        for (Candidate c : batch) {
          for (ImmutableHandle p : c.row.rec.parents.handles()) {
            Candidate parent = waiting.get(p.rec);
            if (parent != null && !p.rec.isDead() && UsageSnapshot.holders(p.rec) == 0) {
              waiting.remove(p.rec);
              queue.add(parent);
            }
          }
        }
      } finally {
        records.mu.unlock();
      }
      // The metadata, outside the lock (an LMDB write can wait for the disk: 80-180 ms seen under
      // load, every lookup through the view waiting behind it): the tombstones first, in one
      // transaction, so a crash from here on purges them at start; then the rest. A crash before
      // the tombstones brings these records back at the next start, with their data: nothing is
      // deleted before the collector has flushed the metadata.
      store.updateAll(ids, (id, w) -> w.setValue(MetadataKeys.DELETED, Value.of(true)));
      store.clearAll(ids);
      records.prunedMetadataCleared(ids);
      ids.forEach(removedIds);
      total -= freed;
      reclaimed += freed;
      count += batch.size();
      for (Candidate c : batch) {
        if (LOG.isDebugEnabled()) { // not four boxed arguments per record for nothing
          LOG.debug("pruned {} ({} bytes, last used {}, used {} times)", c.info.id(), c.info.size(),
              c.info.lastUsedAt(), c.info.usageCount());
        }
        try {
          removed.accept(withoutUse(c.info));
        } catch (RuntimeException e) {
          LOG.info("prune stopped by its consumer after {} records: {}", count, e.toString());
          throw e;
        }
      }
    }
    LOG.info("prune removed {} records, {} bytes no record uses any more{}", count, reclaimed,
        cancelled ? " (interrupted)" : "");
    // Not when interrupted: whoever interrupted wants it to stop; the next prune or start collects.
    GcResult collected = cancelled ? GcResult.NONE : gc.collect(released, GarbageCollector.DEFAULT_GRACE);
    return new PruneResult(count, reclaimed, keep, totalBefore, cancelled, collected);
  }

  /** Takes a record (both records of a committed pair) out of memory; caller holds mu. */
  private void detachLocked(CacheRecord rec) {
    CacheRecord partner = UsageSnapshot.partner(rec);
    if (partner == null) {
      records.detachPrunedLocked(rec);
      return;
    }
    CacheRecord twin = rec.mutable ? partner : rec;
    CacheRecord mutable = rec.mutable ? rec : partner;
    if (twin.equalMutable != null) {
      RecordStore.forget(twin.equalMutable);
    }
    twin.equalMutable = null;
    mutable.equalImmutable = null;
    records.detachPrunedLocked(twin);
    records.detachPrunedLocked(mutable);
  }

  private static boolean allowed(PruneOptions o, UsageInfo info, Instant now) {
    return o.policyRefusal(info, now).isEmpty();
  }

  private static UsageInfo withoutUse(UsageInfo u) {
    return new UsageInfo(u.id(), u.mutable(), false, u.size(), u.createdAt(), u.lastUsedAt(), u.usageCount(),
        u.parents(), u.description(), u.recordType(), u.shared());
  }

  private long freeBytes() {
    try {
      return Posix.statvfs(layout.root()).availableBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the free space of " + layout.root() + ": " + e.getMessage(), e);
    }
  }
}
