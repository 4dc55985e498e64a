package org.refcache.core.cache;

import java.time.Clock;
import java.util.Optional;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;

/**
 * Commit and its twins (spec 1.4, 2.8): a commit makes an immutable twin sharing the mutable's upper
 * (nothing is copied) and freezes the mutable's tree; an idle twin can be un-committed
 * ({@link #uncommitLocked}); finalize hands the data to the twin for good; {@link #discard} undoes a
 * creation nobody else saw.
 *
 * <p>Freezing and thawing a tree wait for operations on it in flight, so they run outside the manager
 * lock.
 */
final class Commits {
  private final RecordStore records;
  private final StateLayout layout;
  private final Clock clock;

  Commits(RecordStore records, StateLayout layout, Clock clock) {
    this.records = records;
    this.layout = layout;
    this.clock = clock;
  }

  ImmutableRef commit(MutableHandle h) {
    ImmutableHandle twin;
    OverlayTree tree;
    records.mu.lock();
    try {
      records.ensureOpen();
      twin = commitLocked(h);
      tree = h.rec.tree;
    } finally {
      records.mu.unlock();
    }
    // Outside the manager lock: freezing waits for writes in flight (a copy-up may copy a whole file),
    // which must not stall every other caller of the manager.
    if (tree instanceof WritableOverlayTree w) {
      w.freeze();
    }
    return twin;
  }

  /** Spec 2.8: a new immutable twin sharing the mutable's upper; nothing is copied. Caller holds mu. */
  ImmutableHandle commitLocked(MutableHandle h) {
    CacheRecord rec = h.rec;
    if (h.released || !rec.refs.contains(h) || rec.dead) {
      throw new InvalidRefException("cannot commit " + rec.id + ": the handle is released");
    }
    if (!rec.mutable) {
      throw new InvalidRefException(rec.id + " is not mutable");
    }
    if (rec.equalImmutable != null) {
      throw new InvalidRefException(rec.id + " is already committed as " + rec.equalImmutable.id);
    }
    String id = records.newId();
    Parents parents = Parents.NONE;
    if (rec.parents instanceof Parents.Layer l) {
      parents = new Parents.Layer(records.newImmutableHandleLocked(l.parent().rec, false, l.parent().descHandlers));
    }
    try {
      StorageItem md = records.item(id);
      if (parents instanceof Parents.Layer l) {
        md.queueString(MetadataKeys.PARENT, l.parent().rec.id, null);
      }
      md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
      md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
      md.queueValue(MetadataKeys.SIZE, Value.of(-1L));
      md.queueString(MetadataKeys.SNAPSHOT, id, null);
      md.queueString(MetadataKeys.EQUAL_MUTABLE, rec.id, null);
      md.queueString(MetadataKeys.LAYER_DIR, layout.relative(rec.layerDir), null);
      // From now on the directory is the twin's data too: children stack on it, and finalize's crash
      // recovery (spec case 13) recognizes the twin by it.
      Materializer.ensureDirectory(rec.layerDir);
      copyValue(rec.md, md, MetadataKeys.DESCRIPTION);
      copyValue(rec.md, md, MetadataKeys.RECORD_TYPE);
      copyValue(rec.md, md, MetadataKeys.IMAGE_REFS);
      md.commit();
      CacheRecord twin = new CacheRecord(id, md, false, parents, rec.layerDir);
      twin.equalMutable = h;
      rec.equalImmutable = twin;
      records.addLocked(twin);
      return records.newImmutableHandleLocked(twin, true, h.descHandlers);
    } catch (RuntimeException e) {
      records.releaseParents(parents);
      throw e;
    }
  }

  private static void copyValue(StorageItem from, StorageItem to, String key) {
    Value v = from.get(key);
    if (v != null) {
      to.queueValue(key, v);
    }
  }

  /**
   * Spec 2.6: drops the idle twin of the mutable {@code rec} (nobody holds it), so the mutable can be
   * handed out again; its tree is made again, writable. Caller holds mu.
   *
   * @throws LockedException when the twin is held
   */
  void uncommitLocked(CacheRecord rec) {
    CacheRecord twin = rec.equalImmutable;
    if (twin == null) {
      return;
    }
    if (!twin.refs.isEmpty()) {
      throw new LockedException(rec.id);
    }
    records.removeLocked(twin, false);
    twin.equalMutable = null;
    rec.equalImmutable = null;
    rec.tree = null;
  }

  boolean isCommitted(MutableHandle h) {
    records.mu.lock();
    try {
      return h.rec.equalImmutable != null && !h.rec.equalImmutable.dead;
    } finally {
      records.mu.unlock();
    }
  }

  /**
   * Spec 1.4 Finalize: the twin takes over the mutable's data; the mutable record goes. The mutable's
   * metadata is cleared before the twin's link, so a crash in between leaves a state that loads as a
   * finalized record (spec case 13).
   */
  void finalizeRecord(CacheRecord rec) {
    records.mu.lock();
    try {
      records.ensureOpen();
      if (rec.isDead()) {
        throw new NotFoundException("cannot finalize " + rec.id + ": the record is gone");
      }
      MutableHandle mh = rec.equalMutable;
      if (mh == null) {
        return;
      }
      CacheRecord mrec = mh.rec;
      mh.released = true;
      records.dropFinalizedLocked(mrec);
      rec.md.setValue(MetadataKeys.EQUAL_MUTABLE, null);
      rec.equalMutable = null;
      mrec.equalImmutable = null;
    } finally {
      records.mu.unlock();
    }
  }

  /** The metadata of the mutable a twin was committed from, while that link holds. */
  Optional<RefMetadata> equalMutableMetadata(CacheRecord rec) {
    records.mu.lock();
    try {
      MutableHandle mh = rec.equalMutable;
      return mh == null ? Optional.empty() : Optional.of(new RecordMetadata(mh.cm, mh.rec));
    } finally {
      records.mu.unlock();
    }
  }

  /**
   * Undoes the creation of a record nobody else has seen; see {@link CacheManager#discard}.
   *
   * @return whether the record went
   */
  boolean discard(Ref ref) {
    RefHandle h = records.own(ref);
    WritableOverlayTree thawed = null;
    records.mu.lock();
    try {
      records.ensureOpen();
      CacheRecord rec = h.rec;
      boolean onlyHandle = !h.released && !rec.dead && rec.refs.size() == 1 && rec.refs.contains(h);
      MutableHandle committing = rec.equalMutable;
      if (!onlyHandle) {
        // fall through to a plain release
      } else if (h instanceof MutableHandle && rec.equalImmutable == null) {
        records.removeLocked(rec, true);
        RecordStore.forget(h);
        return true;
      } else if (h instanceof ImmutableHandle && committing != null && !committing.released
          && committing.rec.refs.contains(committing)) {
        CacheRecord mutable = committing.rec;
        records.removeLocked(rec, false);
        RecordStore.forget(h);
        rec.equalMutable = null;
        mutable.equalImmutable = null;
        thawed = mutable.tree instanceof WritableOverlayTree w ? w : null;
        return true;
      } else if (h instanceof ImmutableHandle && committing == null && !rec.mutable
          && (rec.blob() != null || rec.kind() == RefKind.MERGE || rec.kind() == RefKind.DIFF)
          && rec.md.getLong(MetadataKeys.USAGE_COUNT, 0) == 0) {
        records.removeLocked(rec, false);
        RecordStore.forget(h);
        return true;
      }
    } finally {
      records.mu.unlock();
      // Outside the manager lock, as freezing is: it waits for reads of the tree in flight.
      if (thawed != null) {
        thawed.thaw();
      }
    }
    ref.release();
    return false;
  }
}
