package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.refcache.core.digest.Digest;
import org.refcache.core.fs.TreeUsage;

/**
 * The records as disk usage and prune see them at one moment (spec 4.2 steps 2-3): one {@link Row}
 * per record, a committed pair once; whether each is in use; and the {@link DataObject}s each uses,
 * counted once however many rows share them.
 *
 * <p>Only {@link #take} holds the manager lock: for each chunk of {@value #CHUNK} records (listed
 * without it) to count their handles; no I/O. So no hold is longer than a chunk's (100 000
 * records in one hold took 0.3-0.6 s on a loaded machine: every lookup through the view waited
 * that long). The rest (in-use propagation, metadata reads, measuring) runs outside
 * it, on record fields that never change.
 *
 * <p>The chunks are not one moment: a handle taken or released between two of them is seen by one
 * and not the other (prune checks every record again under the lock before it removes it), and a
 * committed pair is taken whole, when its mutable's turn comes, so it is one row even if it changes
 * between chunks.
 */
final class UsageSnapshot {
  /** One reported record: a record, or a committed pair (mutable and twin) as one. */
  static final class Row {
    final CacheRecord rec;
    /** The other record of a committed pair, or null. */
    final CacheRecord partner;
    /** Handles on the pair that keep it (child clones included, weak handles not). */
    final int holders;
    final List<ObjectState> objects = new ArrayList<>(2);
    boolean inUse;
    private int pending;

    Row(CacheRecord rec, CacheRecord partner, int holders) {
      this.rec = rec;
      this.partner = partner;
      this.holders = holders;
    }

    /** Whether some of its data (on disk: a lazy blob not fetched is none) is also another row's. */
    boolean shared() {
      for (ObjectState o : objects) {
        if (o.users > 1 && o.bytes > 0) {
          return true;
        }
      }
      return false;
    }

    /** Its private bytes plus an equal part of each shared object (the first user gets the remainder). */
    long size() {
      long total = 0;
      for (ObjectState o : objects) {
        if (o.users > 0 && o.bytes > 0) {
          total += o.bytes / o.users + (o.firstUser == this ? o.bytes % o.users : 0);
        }
      }
      return total;
    }
  }

  /** One data object and who uses it. */
  static final class ObjectState {
    final DataObject object;
    int users;
    Row firstUser;
    /** A mutable may still write into it: measured afresh every time. */
    boolean writable;
    /** Read through a weak handle of a pruned record (an open file). */
    boolean orphanUse;
    /** Allocated bytes; -1 until measured. */
    long bytes = -1;
    /** Users that a prune with the caller's filter would not remove (in use, or not matched). */
    int blockers;

    ObjectState(DataObject object) {
      this.object = object;
    }
  }

  /** Records whose handles are counted in one hold of the manager lock. */
  static final int CHUNK = 1024;

  final List<Row> rows;
  /** By path. */
  final Map<Path, ObjectState> objects;
  private UsageSnapshot(List<Row> rows, Map<Path, ObjectState> objects) {
    this.rows = rows;
    this.objects = objects;
  }

  /** Takes the snapshot: the pass under the manager lock, then in-use propagation and objects. */
  static UsageSnapshot take(RecordStore records, StateLayout layout, Function<Digest, Path> blobPath) {
    List<CacheRecord> orphans;
    records.mu.lock();
    try {
      records.ensureOpen();
      orphans = records.orphansLocked();
    } finally {
      records.mu.unlock();
    }
    List<CacheRecord> all = records.listedWithoutLock();
    List<Row> rows = new ArrayList<>(all.size());
    Set<CacheRecord> reported = Collections.newSetFromMap(new IdentityHashMap<>(all.size()));
    for (int i = 0; i < all.size(); i += CHUNK) {
      records.mu.lock();
      try {
        for (CacheRecord rec : all.subList(i, Math.min(all.size(), i + CHUNK))) {
          CacheRecord partner = partner(rec);
          if (rec.isDead() || (partner != null && !rec.mutable)) {
            continue; // gone meanwhile; or a twin: its pair is taken with the mutable
          }
          CacheRecord shown = reported(rec);
          if (reported.add(shown)) {
            rows.add(new Row(shown, partner(shown), holders(shown)));
          }
        }
      } finally {
        records.mu.unlock();
      }
    }
    rows.sort(Comparator.comparing(r -> r.rec.id));
    propagateInUse(rows);
    Map<Path, ObjectState> objects = new HashMap<>();
    for (Row r : rows) {
      boolean writable = r.rec.mutable || (r.partner != null && r.partner.mutable);
      Set<Path> mine = new HashSet<>(2);
      DataObject.of(r.rec, layout, blobPath, o -> {
        if (!mine.add(o.path())) {
          return;
        }
        ObjectState s = objects.computeIfAbsent(o.path(), p -> new ObjectState(o));
        if (s.users++ == 0) {
          s.firstUser = r;
        }
        s.writable |= writable;
        r.objects.add(s);
      });
    }
    for (CacheRecord o : orphans) {
      DataObject.of(o, layout, blobPath,
          d -> objects.computeIfAbsent(d.path(), p -> new ObjectState(d)).orphanUse = true);
    }
    return new UsageSnapshot(rows, objects);
  }

  /**
   * Spec 4.2 step 3: a row is in use when a handle other than its children's holds it, or an in-use
   * child does. Rows nobody holds hand their parents back the clones they hold (two for a committed
   * pair: the mutable's and the twin's), until nothing changes.
   */
  private static void propagateInUse(List<Row> rows) {
    Map<CacheRecord, Row> byRecord = new IdentityHashMap<>(rows.size());
    ArrayDeque<Row> unused = new ArrayDeque<>();
    for (Row r : rows) {
      byRecord.put(r.rec, r);
      r.pending = r.holders;
      if (r.pending == 0) {
        unused.add(r);
      }
    }
    while (!unused.isEmpty()) {
      Row r = unused.poll();
      int clones = r.partner != null ? 2 : 1;
      for (ImmutableHandle h : r.rec.parents.handles()) {
        Row p = byRecord.get(h.rec);
        if (p != null && p.pending > 0) {
          p.pending = Math.max(0, p.pending - clones);
          if (p.pending == 0) {
            unused.add(p);
          }
        }
      }
    }
    for (Row r : rows) {
      r.inUse = r.pending > 0;
    }
  }

  /**
   * Measures every object (outside any lock). A multiply-linked inode met in two objects counts in
   * the first, in path order.
   */
  void measure(ObjectSizes sizes) {
    // Only the objects with multiply-linked inodes need the path order (sorting all 100 000 paths
    // was a third of a du): measured in any order, the few with links are then taken in order.
    Map<ObjectState, TreeUsage> withLinks = new HashMap<>();
    for (ObjectState s : objects.values()) {
      TreeUsage u = sizes.measure(s.object, !s.writable);
      s.bytes = u.singleBytes();
      if (!u.linked().isEmpty()) {
        withLinks.put(s, u);
      }
    }
    List<ObjectState> inOrder = new ArrayList<>(withLinks.keySet());
    inOrder.sort(Comparator.comparing(o -> o.object.path()));
    Set<Long> seenLinked = new HashSet<>();
    for (ObjectState s : inOrder) {
      for (Map.Entry<Long, Long> e : withLinks.get(s).linked().entrySet()) {
        if (seenLinked.add(e.getKey())) {
          s.bytes += e.getValue();
        }
      }
    }
  }

  /** The usage row of {@code r} (metadata read now, outside the lock). */
  static UsageInfo info(CacheManager cm, Row r) {
    RecordMetadata m = new RecordMetadata(cm, r.rec);
    List<String> parents = r.rec.parents.handles().stream().map(h -> h.rec.id).toList();
    return new UsageInfo(r.rec.id, r.rec.mutable, r.inUse, r.size(), m.createdAt(), m.lastUsedAt().orElse(null),
        m.usageCount(), parents, m.description(), m.recordType(), r.shared());
  }

  // ---------------------------------------------------------------------------------------------
  // committed pairs (caller holds mu for the handle counts)

  /** The other record of a committed pair, or null. */
  static CacheRecord partner(CacheRecord rec) {
    if (rec.mutable) {
      return rec.equalImmutable;
    }
    return rec.equalMutable == null ? null : rec.equalMutable.rec;
  }

  /**
   * Which record of {@code rec}'s pair is reported (spec 4.2 step 2): the twin while something holds
   * it, else the mutable; a record without a twin reports itself. Caller holds mu.
   */
  static CacheRecord reported(CacheRecord rec) {
    CacheRecord other = partner(rec);
    if (other == null) {
      return rec;
    }
    CacheRecord twin = rec.mutable ? other : rec;
    CacheRecord mutable = rec.mutable ? rec : other;
    return strongHandles(twin, null) > 0 ? twin : mutable;
  }

  /**
   * Handles that keep {@code rec}'s pair (or {@code rec}): every handle but weak ones and the
   * committing handle a twin keeps registered on its mutable. Caller holds mu.
   */
  static int holders(CacheRecord rec) {
    CacheRecord other = partner(rec);
    if (other == null) {
      return strongHandles(rec, null);
    }
    CacheRecord twin = rec.mutable ? other : rec;
    CacheRecord mutable = rec.mutable ? rec : other;
    return strongHandles(twin, null) + strongHandles(mutable, twin.equalMutable);
  }

  private static int strongHandles(CacheRecord rec, RefHandle except) {
    int n = 0;
    for (RefHandle h : rec.refs) {
      if (!h.weak && h != except) {
        n++;
      }
    }
    return n;
  }
}
