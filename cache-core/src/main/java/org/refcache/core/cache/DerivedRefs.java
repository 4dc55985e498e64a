package org.refcache.core.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.meta.Value;

/**
 * Records made of other records' trees (spec 5): merges and diffs. Making one is metadata only (one
 * LMDB write, however much data its inputs hold); what its tree shows is worked out when it is first
 * read ({@link Materializer}, {@link LayerChain}).
 */
final class DerivedRefs {
  private final RecordStore records;
  private final Commits commits;

  DerivedRefs(RecordStore records, Commits commits) {
    this.records = records;
    this.commits = commits;
  }

  /** Spec 5.1; see {@link CacheManager#merge}. */
  ImmutableRef merge(List<? extends ImmutableRef> inputs, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    List<ImmutableHandle> parents = new ArrayList<>();
    try {
      Map<Digest, DescHandler> handlers = o.descHandlers();
      for (ImmutableRef in : inputs) {
        if (in == null) {
          continue;
        }
        ImmutableHandle h = own(in);
        handlers = RefOptions.merge(handlers, h.descHandlers);
        parents.addAll(flattened(h));
      }
      if (parents.isEmpty()) {
        return null; // a merge of nothing is nothing
      }
      if (parents.size() == 1) {
        return parents.get(0); // that input itself: no record is made
      }
      for (ImmutableHandle p : parents) {
        commits.finalizeRecord(p.rec);
      }
      return newMergeRecord(parents, handlers, o);
    } catch (RuntimeException e) {
      parents.forEach(ImmutableHandle::release);
      throw e;
    }
  }

  /**
   * Clones of what {@code h} contributes to a merge: a merge's own inputs (merges are flattened), or
   * {@code h} itself.
   */
  private List<ImmutableHandle> flattened(ImmutableHandle h) {
    records.mu.lock();
    try {
      records.ensureOpen();
      if (h.rec.isDead()) {
        throw new NotFoundException("cannot merge " + h.rec.id + ": the record is gone");
      }
      List<ImmutableHandle> out = new ArrayList<>();
      if (h.rec.parents instanceof Parents.Merge m) {
        for (ImmutableHandle p : m.inputs()) {
          out.add(records.newImmutableHandleLocked(p.rec, false, RefOptions.merge(h.descHandlers, p.descHandlers)));
        }
      } else {
        out.add(records.newImmutableHandleLocked(h.rec, false, h.descHandlers));
      }
      return out;
    } finally {
      records.mu.unlock();
    }
  }

  private ImmutableHandle newMergeRecord(List<ImmutableHandle> parents, Map<Digest, DescHandler> handlers,
      RefOptions.Parsed o) {
    records.mu.lock();
    try {
      records.ensureOpen();
      for (ImmutableHandle p : parents) {
        if (p.rec.isDead()) {
          throw new NotFoundException("cannot merge " + p.rec.id + ": the record is gone");
        }
      }
      String id = records.newId();
      StorageItem md = records.item(id);
      md.queueValue(MetadataKeys.MERGE_PARENTS, Value.of(parents.stream().map(p -> p.rec.id).toList()));
      records.initializeMetadata(md, o);
      RecordStore.queueImageRefs(md, o.imageRefs());
      md.queueString(MetadataKeys.SNAPSHOT, id, null);
      md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
      mergeChainIds(parents).ifPresent(ids -> ids.queueInto(md));
      md.commit();
      CacheRecord rec = new CacheRecord(id, md, false, new Parents.Merge(List.copyOf(parents)), null);
      records.addLocked(rec);
      return records.newImmutableHandleLocked(rec, !o.noUpdateLastUsed(), handlers);
    } finally {
      records.mu.unlock();
    }
  }

  /**
   * Spec 3.3: a merge's identities are those of the flat chain of its layers: the first input's, then
   * every layer of every later input folded on. Empty when a layer has no blob yet (a committed upper,
   * a diff with a change set of its own): not enough information, as in BuildKit.
   */
  static Optional<ChainPair> mergeChainIds(List<ImmutableHandle> inputs) {
    Optional<ChainPair> ids = ChainPair.of(inputs.get(0).rec.md);
    for (int i = 1; i < inputs.size() && ids.isPresent(); i++) {
      for (CacheRecord layer : LayerChain.layerWalk(inputs.get(i).rec)) {
        Digest blob = layer.blob();
        Digest diffId = layer.diffId();
        if (blob == null || diffId == null) {
          return Optional.empty();
        }
        ids = Optional.of(ids.get().then(blob, diffId));
      }
    }
    return ids;
  }

  private ImmutableHandle own(ImmutableRef ref) {
    if (records.own(ref) instanceof ImmutableHandle h) {
      return h;
    }
    throw new InvalidRefException(ref.id() + " is not an immutable ref");
  }
}
