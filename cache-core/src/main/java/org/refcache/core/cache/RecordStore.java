package org.refcache.core.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.refcache.core.digest.Digest;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.meta.Value;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The records, in memory and in the metadata store, and their handles: the manager's global lock
 * ({@link #mu}), loading and validating records (at open, and on demand with their parents: spec 2.4),
 * purging those that cannot load, the handle set of each record and what releasing a handle does
 * (spec 2.13), and removing records (their data through a background thread).
 *
 * <p>Methods named {@code ...Locked}, and those documented so, expect the caller to hold {@link #mu};
 * the others take it.
 */
final class RecordStore {
  /** The ref manager's log: one category for all its parts, as operators know it. */
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);

  /** The global lock: records, handles, twin links, record creation and removal. */
  final ReentrantLock mu = new ReentrantLock();

  private final CacheManager cm;
  private final MetadataStore store;
  private final StateLayout layout;
  private final Clock clock;
  /**
   * Changed under mu only; concurrent so that du and prune can list it without the lock (copying
   * 100 000 references out of a hash map under the lock took 90 ms on a loaded machine).
   */
  private final Map<String, CacheRecord> records = new ConcurrentHashMap<>();
  /**
   * Records prune has taken out of memory whose metadata it has not cleared yet (it writes outside
   * {@link #mu}): they are gone, not to be loaded again from their metadata. Read under mu, changed
   * by prune (added under mu, removed once the metadata is cleared).
   */
  private final Set<String> pruning = ConcurrentHashMap.newKeySet();
  /**
   * Records prune removed while weak handles still read them: they keep their parents, and the
   * collector keeps their data, until the last weak handle goes.
   */
  private final Set<CacheRecord> orphans = Collections.newSetFromMap(new IdentityHashMap<>());
  /** Orphans whose last weak handle went since the collector last looked: their data is garbage now. */
  private final List<CacheRecord> releasedOrphans = new ArrayList<>();
  /** Records added to the map so far (made or loaded): the collector's check that its roots are whole. */
  private long additions;
  /** Deletes the data of removed mutables outside the lock. */
  private final ExecutorService reaper = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "refcache-reaper");
    t.setDaemon(true);
    return t;
  });
  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  /** @param cm the manager the handles made here belong to */
  RecordStore(CacheManager cm, MetadataStore store, StateLayout layout, Clock clock) {
    this.cm = cm;
    this.store = store;
    this.layout = layout;
    this.clock = clock;
  }

  // ---------------------------------------------------------------------------------------------
  // open

  /**
   * Loads every record like BuildKit's init: records that cannot load (tombstoned, broken parents,
   * missing data) are purged. Lazy records stay (DESIGN decision 1): their providers are re-bound when
   * needed. Upper directories no record owns are removed.
   */
  void load() throws IOException {
    mu.lock();
    try {
      for (StorageItem item : store.all()) {
        try {
          getLocked(item.id(), Map.of());
        } catch (NotFoundException e) {
          LOG.info("dropped record {} at start: {}", item.id(), Printable.line(e.getMessage()));
        } catch (RuntimeException e) {
          // Any record that cannot load is dropped, never fatal (spec section 8): malformed values
          // (MetadataException), unparsable digests, broken parents.
          LOG.warn("purging record {} that cannot load: {}", item.id(), Printable.line(e.toString()));
          purge(item.id());
        }
      }
    } finally {
      mu.unlock();
    }
    Set<Path> owned = new HashSet<>();
    mu.lock();
    try {
      for (CacheRecord r : records.values()) {
        if (r.layerDir != null) {
          owned.add(r.layerDir);
        }
      }
    } finally {
      mu.unlock();
    }
    try (Stream<Path> s = Files.list(layout.uppers())) {
      for (Path p : s.toList()) {
        if (!owned.contains(p)) {
          LOG.info("removing upper {} that no record owns", Printable.name(p.getFileName()));
          FileTrees.deleteRecursively(p);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // loading (caller holds mu)

  /**
   * The live record {@code id}, loading it and its parents from metadata when needed (spec 2.4).
   * Whether its lazy blobs can be fetched is the caller's question ({@link LazyBlobs#requireProviders}).
   */
  CacheRecord getLocked(String id, Map<Digest, DescHandler> handlers) {
    CacheRecord rec = records.get(id);
    if (rec != null) {
      if (rec.isDead()) {
        throw new NotFoundException("failed to get dead record " + id);
      }
      return rec;
    }
    if (pruning.contains(id)) {
      throw new NotFoundException("record " + id + " not found: pruned");
    }
    StorageItem md;
    try {
      md = store.get(id);
    } catch (IllegalArgumentException e) {
      // A name the metadata store cannot hold (empty, "::", NUL...) names no record.
      throw new NotFoundException("record " + id + " not found: " + e.getMessage());
    }
    if (!md.exists()) {
      throw new NotFoundException("record " + id + " not found");
    }
    if (md.getBool(MetadataKeys.DELETED)) {
      purge(id);
      throw new NotFoundException("failed to get deleted record " + id);
    }
    Parents parents = loadParents(id, md, handlers);
    try {
      boolean mergeOrDiff = parents.kind() == RefKind.MERGE || parents.kind() == RefKind.DIFF;
      boolean mutable = !md.getBool(MetadataKeys.COMMITTED) && !mergeOrDiff;
      String dir = md.getString(MetadataKeys.LAYER_DIR);
      Path layerDir = dir == null || dir.isEmpty() ? null : layout.root().resolve(dir);
      CacheRecord twinOf = null;
      String mid = md.getString(MetadataKeys.EQUAL_MUTABLE);
      if (mid != null && !mid.isEmpty()) {
        try {
          twinOf = getLocked(mid, handlers);
        } catch (NotFoundException e) {
          if (layerDir != null && Files.isDirectory(layerDir)) {
            // Finalize got as far as dropping the mutable: the data is ours now (spec case 13).
            md.setValue(MetadataKeys.EQUAL_MUTABLE, null);
          } else {
            throw new NotFoundException("record " + id + " lost its mutable twin " + mid + " and its data");
          }
        }
      }
      if (mutable && layerDir == null) {
        throw new NotFoundException("mutable record " + id + " has no upper directory");
      }
      rec = new CacheRecord(id, md, mutable, parents, layerDir);
      additions++;
      if (twinOf != null) {
        // The committing handle did not survive the restart: an unregistered handle stands for it.
        rec.equalMutable = new MutableHandle(cm, twinOf, false, Map.of());
        twinOf.equalImmutable = rec;
      }
      records.put(id, rec);
    } catch (NotFoundException e) {
      releaseParents(parents);
      purge(id);
      throw e;
    } catch (RuntimeException e) {
      releaseParents(parents);
      throw e;
    }
    return rec;
  }

  private Parents loadParents(String id, StorageItem md, Map<Digest, DescHandler> handlers) {
    List<ImmutableHandle> acquired = new ArrayList<>();
    try {
      String parent = md.getString(MetadataKeys.PARENT);
      if (parent != null && !parent.isEmpty()) {
        return new Parents.Layer(internalHandle(parent, handlers, acquired));
      }
      List<String> merge = md.getStringList(MetadataKeys.MERGE_PARENTS);
      if (merge != null && !merge.isEmpty()) {
        for (String m : merge) {
          internalHandle(m, handlers, acquired);
        }
        return new Parents.Merge(List.copyOf(acquired));
      }
      String lower = md.getString(MetadataKeys.LOWER_DIFF_PARENT);
      String upper = md.getString(MetadataKeys.UPPER_DIFF_PARENT);
      boolean hasLower = lower != null && !lower.isEmpty();
      boolean hasUpper = upper != null && !upper.isEmpty();
      if (hasLower || hasUpper) {
        ImmutableHandle l = hasLower ? internalHandle(lower, handlers, acquired) : null;
        ImmutableHandle u = hasUpper ? internalHandle(upper, handlers, acquired) : null;
        return new Parents.Diff(l, u);
      }
      return Parents.NONE;
    } catch (CacheException e) {
      // No handle may leak from a half-loaded parent list (spec case 14).
      for (ImmutableHandle h : acquired) {
        releaseImmutableLocked(h);
      }
      if (e instanceof NotFoundException) {
        purge(id);
        throw new NotFoundException("record " + id + ": parent not found: " + e.getMessage());
      }
      throw e;
    }
  }

  private ImmutableHandle internalHandle(String id, Map<Digest, DescHandler> handlers, List<ImmutableHandle> acquired) {
    CacheRecord p = getLocked(id, handlers);
    if (p.mutable) {
      throw new InvalidRefException("parent " + id + " is mutable");
    }
    ImmutableHandle h = new ImmutableHandle(cm, p, false, handlers);
    p.refs.add(h);
    acquired.add(h);
    return h;
  }

  /** The record {@code id} if it is in memory (loaded or made), else null; caller holds mu. */
  CacheRecord loadedLocked(String id) {
    return records.get(id);
  }

  /**
   * The records in memory, listed without the lock: every record there throughout the listing, and
   * any that came or went meanwhile, or not (the caller checks what it needs under mu).
   */
  List<CacheRecord> listedWithoutLock() {
    return new ArrayList<>(records.values());
  }

  /** The items indexed under {@code index} (spec 2.20). */
  List<StorageItem> search(String index, boolean prefixOnly) {
    return store.search(index, prefixOnly);
  }

  // ---------------------------------------------------------------------------------------------
  // creating (caller holds mu)

  /** A 25-character base-36 random ID, like BuildKit's identity.NewID. */
  String newId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    String s = new java.math.BigInteger(1, b).toString(36);
    return "0".repeat(Math.max(0, 25 - s.length())) + s;
  }

  /** The metadata item of {@code id}, empty for a new ID. */
  StorageItem item(String id) {
    return store.get(id);
  }

  /** Makes a record whose metadata is committed known; caller holds mu. */
  void addLocked(CacheRecord rec) {
    records.put(rec.id, rec);
    additions++;
  }

  /** How many records were added to the map so far; caller holds mu. */
  long additionsLocked() {
    return additions;
  }

  /** The orphans whose last reader went since the last call, once; caller holds mu. */
  List<CacheRecord> drainReleasedOrphansLocked() {
    List<CacheRecord> out = List.copyOf(releasedOrphans);
    releasedOrphans.clear();
    return out;
  }

  /** Pruned records weak handles still read; caller holds mu. */
  List<CacheRecord> orphansLocked() {
    return List.copyOf(orphans);
  }

  /** Sets what a new record's creation options say, unless the item has them already. */
  void initializeMetadata(StorageItem md, RefOptions.Parsed o) {
    if (md.getLong(MetadataKeys.CREATED_AT, 0) != 0) {
      return;
    }
    md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
    for (RefOption opt : o.initializers()) {
      if (opt instanceof RefOption.Description d) {
        md.queueString(MetadataKeys.DESCRIPTION, d.text(), null);
      } else if (opt instanceof RefOption.RecordType t) {
        md.queueString(MetadataKeys.RECORD_TYPE, t.type(), null);
      } else if (opt instanceof RefOption.CreationTime c) {
        md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(c.time())));
      } else if (opt instanceof RefOption.CachePolicy p) {
        md.queueValue(MetadataKeys.CACHE_POLICY,
            Value.of(p.retain() ? MetadataKeys.POLICY_RETAIN : MetadataKeys.POLICY_DEFAULT));
      }
    }
  }

  static void queueImageRefs(StorageItem md, List<String> refs) {
    if (refs.isEmpty()) {
      return;
    }
    List<String> current = md.getStringList(MetadataKeys.IMAGE_REFS);
    LinkedHashSet<String> set = new LinkedHashSet<>(current == null ? List.of() : current);
    if (set.addAll(refs)) {
      md.queueValue(MetadataKeys.IMAGE_REFS, Value.of(new ArrayList<>(set)));
    }
  }

  static void applyImageRefs(CacheRecord rec, List<String> refs) {
    if (!refs.isEmpty()) {
      queueImageRefs(rec.md, refs);
      rec.md.commit();
    }
  }

  private void updateLastUsed(CacheRecord rec) {
    if (rec.dead) {
      return;
    }
    rec.md.queueValue(MetadataKeys.USAGE_COUNT, Value.of(rec.md.getLong(MetadataKeys.USAGE_COUNT, 0) + 1));
    rec.md.queueValue(MetadataKeys.LAST_USED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
    rec.md.commit();
  }

  // ---------------------------------------------------------------------------------------------
  // handles

  /** A new handle on {@code rec}, counted in its set; caller holds mu. */
  ImmutableHandle newImmutableHandleLocked(CacheRecord rec, boolean triggerLastUsed,
      Map<Digest, DescHandler> handlers) {
    ImmutableHandle h = new ImmutableHandle(cm, rec, triggerLastUsed, handlers);
    rec.refs.add(h);
    return h;
  }

  /** The only handle of the mutable {@code rec}, counted in its set; caller holds mu. */
  MutableHandle newMutableHandleLocked(CacheRecord rec, boolean triggerLastUsed, Map<Digest, DescHandler> handlers) {
    MutableHandle h = new MutableHandle(cm, rec, triggerLastUsed, handlers);
    rec.refs.add(h);
    return h;
  }

  /** The manager's own handle type for {@code ref}; foreign implementations are refused. */
  RefHandle own(Ref ref) {
    if (ref instanceof RefHandle h && h.cm == cm) {
      return h;
    }
    throw new InvalidRefException("ref " + ref.id() + " does not belong to this cache manager");
  }

  ImmutableRef cloneHandle(RefHandle h) {
    mu.lock();
    try {
      ensureOpen();
      if (h.rec.isDead()) {
        throw new NotFoundException("failed to clone dead record " + h.rec.id);
      }
      // A released handle may still be cloned while its record lives (BuildKit quirk 11, kept).
      return newImmutableHandleLocked(h.rec, false, h.descHandlers);
    } finally {
      mu.unlock();
    }
  }

  /** Refuses work through a released handle (except a twin's committing handle) or on a gone record. */
  void requireLive(RefHandle h) {
    mu.lock();
    try {
      ensureOpen();
      if (h.released && !(h.rec.equalImmutable != null && h.rec.equalImmutable.equalMutable == h)) {
        throw new InvalidRefException("cannot use " + h.rec.id + ": the handle is released");
      }
      if (h.rec.isDead()) {
        throw new NotFoundException("record " + h.rec.id + " is gone");
      }
    } finally {
      mu.unlock();
    }
  }

  void releaseImmutable(ImmutableHandle h) {
    mu.lock();
    try {
      releaseImmutableLocked(h);
    } finally {
      mu.unlock();
    }
  }

  /** Spec 2.13, immutable handle: the last one of a twin releases the committing mutable handle. */
  void releaseImmutableLocked(ImmutableHandle h) {
    if (h.released) {
      return;
    }
    h.released = true;
    CacheRecord rec = h.rec;
    rec.refs.remove(h);
    if (rec.refs.isEmpty() && orphans.remove(rec)) {
      releaseParents(rec.parents); // the last reader of a pruned record is done
      releasedOrphans.add(rec);
      return;
    }
    // A twin about to go with its default-policy mutable needs no last-used write.
    boolean goesNow = rec.refs.isEmpty() && rec.equalMutable != null && !rec.isRetain()
        && !rec.equalMutable.rec.isRetain();
    if (h.triggerLastUsed && !rec.anyHandleTriggersLastUsed() && !goesNow) {
      updateLastUsed(rec);
      if (rec.equalMutable != null) {
        rec.equalMutable.triggerLastUsed = true;
      }
    }
    if (rec.refs.isEmpty()) {
      if (rec.equalMutable != null) {
        releaseMutableLocked(rec.equalMutable);
      } else {
        rec.tree = null;
      }
    }
  }

  /** A user releasing a mutable: no-op once the handle belongs to a committed twin. */
  void releaseMutableByUser(MutableHandle h) {
    mu.lock();
    try {
      if (h.released || (h.rec.equalImmutable != null && h.rec.equalImmutable.equalMutable == h)) {
        return;
      }
      releaseMutableLocked(h);
    } finally {
      mu.unlock();
    }
  }

  /** Spec 2.13, mutable handle: a default-policy mutable goes, with a twin that is not retained. */
  private void releaseMutableLocked(MutableHandle h) {
    h.released = true;
    CacheRecord rec = h.rec;
    rec.refs.remove(h);
    if (rec.dead) {
      return;
    }
    if (!rec.isRetain()) {
      CacheRecord twin = rec.equalImmutable;
      if (twin != null && twin.isRetain()) {
        if (h.triggerLastUsed) {
          updateLastUsed(rec);
        }
        return;
      }
      if (twin != null) {
        removeLocked(twin, false);
        twin.equalMutable = null;
        rec.equalImmutable = null;
      }
      removeLocked(rec, true);
    } else if (h.triggerLastUsed) {
      updateLastUsed(rec);
    }
  }

  /** Marks a handle of a removed record released (it counts no use: the record is gone). */
  static void forget(RefHandle h) {
    h.released = true;
    h.rec.refs.remove(h);
  }

  /** Open handles of a record ({@link CacheManager#handleCount}, tests only). */
  int handleCount(String id) {
    mu.lock();
    try {
      CacheRecord r = records.get(id);
      return r == null ? 0 : r.refs.size();
    } finally {
      mu.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // removal (caller holds mu)

  /**
   * Drops a record: metadata and parent handles; a mutable's upper goes too when {@code removeData}. The
   * metadata goes first, so a failing LMDB write leaves the record as it was, in memory and on disk.
   */
  void removeLocked(CacheRecord rec, boolean removeData) {
    if (rec.dead) {
      return;
    }
    store.clear(rec.id);
    rec.dead = true;
    records.remove(rec.id);
    releaseParents(rec.parents);
    if (removeData && rec.mutable && rec.layerDir != null) {
      Path dir = rec.layerDir;
      reaper.execute(() -> deleteQuietly(dir));
    }
  }

  /**
   * Prune's removal of one record (spec 4.3): it leaves the map and releases its parents, and is
   * not loaded again while prune writes its tombstone and clears its metadata (outside the lock);
   * nothing on disk is touched (the collector removes what no root reaches, after the metadata is
   * flushed).
   * A record still read through weak handles becomes an orphan instead: it keeps its parents until
   * its last weak handle is released.
   */
  void detachPrunedLocked(CacheRecord rec) {
    rec.dead = true;
    records.remove(rec.id);
    pruning.add(rec.id);
    if (rec.refs.isEmpty()) {
      releaseParents(rec.parents);
    } else {
      orphans.add(rec);
    }
  }

  /**
   * Prune has cleared the metadata of {@code ids}: they no longer need a place in {@link #pruning}
   * (if it could not, they keep it: no record until the next start reads their metadata again).
   * No lock needed.
   */
  void prunedMetadataCleared(List<String> ids) {
    ids.forEach(pruning::remove);
  }

  /**
   * Drops the mutable {@code mrec} whose data its twin takes over (spec 1.4 finalize): metadata first,
   * then the record, its handles and its parents.
   */
  void dropFinalizedLocked(CacheRecord mrec) {
    mrec.dead = true;
    records.remove(mrec.id);
    store.clear(mrec.id);
    mrec.refs.clear();
    releaseParents(mrec.parents);
  }

  void releaseParents(Parents parents) {
    for (ImmutableHandle h : parents.handles()) {
      releaseImmutableLocked(h);
    }
  }

  private void purge(String id) {
    store.clear(id);
  }

  private static void deleteQuietly(Path p) {
    try {
      FileTrees.deleteRecursively(p);
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", Printable.name(p), Printable.line(e.toString()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // open and closed

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cache manager is closed");
    }
  }

  /**
   * Refuses every later call and waits for pending data removal.
   *
   * @return false when it was closed already
   */
  boolean close() {
    mu.lock();
    try {
      if (closed) {
        return false;
      }
      closed = true;
    } finally {
      mu.unlock();
    }
    reaper.shutdown();
    try {
      if (!reaper.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("data removal still running at close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return true;
  }
}
