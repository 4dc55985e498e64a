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

  /** Spec 5.2; see {@link CacheManager#diff}. */
  ImmutableRef diff(ImmutableRef lower, ImmutableRef upper, RefOption... opts) {
    if (lower == null) {
      throw new InvalidRefException("lower ref for diff cannot be nil");
    }
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    ImmutableHandle l = clone(own(lower));
    ImmutableHandle u = null;
    try {
      if (upper != null) {
        u = clone(own(upper));
      }
      Optional<List<CacheRecord>> extra = u == null ? Optional.empty() : layersAbove(l.rec, u.rec);
      if (extra.isPresent()) {
        return unmerged(l, u, extra.get(), o);
      }
      commits.finalizeRecord(l.rec);
      if (u != null) {
        commits.finalizeRecord(u.rec);
      }
      ImmutableHandle made = newDiffRecord(l, u, o);
      l = null;
      u = null; // the record holds them now
      return made;
    } finally {
      if (l != null) {
        l.release();
      }
      if (u != null) {
        u.release();
      }
    }
  }

  /**
   * The ancestor rule (spec 5.2): the layers of {@code upper}'s chain above {@code lower}'s, when
   * {@code lower}'s chain is a prefix of it (record by record) and at least two layers shorter.
   */
  private Optional<List<CacheRecord>> layersAbove(CacheRecord lower, CacheRecord upper) {
    List<CacheRecord> low = LayerChain.layerWalk(lower);
    List<CacheRecord> up = LayerChain.layerWalk(upper);
    if (up.size() < low.size() + 2) {
      return Optional.empty();
    }
    for (int i = 0; i < low.size(); i++) {
      if (!low.get(i).id.equals(up.get(i).id)) {
        return Optional.empty();
      }
    }
    return Optional.of(List.copyOf(up.subList(low.size(), up.size())));
  }

  /**
   * A diff of a chain's top from one of its ancestors, as a merge of one-layer diffs (each its
   * layer's own change set, whose blob stays reusable) or the layers themselves where they have no
   * parent.
   */
  private ImmutableRef unmerged(ImmutableHandle lower, ImmutableHandle upper, List<CacheRecord> extra,
      RefOptions.Parsed o) {
    String description = "diff \"" + lower.rec.id + "\" -> \"" + upper.rec.id + "\"";
    Map<Digest, DescHandler> handlers = RefOptions.merge(lower.descHandlers, upper.descHandlers);
    List<ImmutableRef> parts = new ArrayList<>();
    try {
      for (CacheRecord layer : extra) {
        ImmutableHandle self = handle(layer, handlers);
        if (layer.parents instanceof Parents.Layer p) {
          try {
            ImmutableHandle parent = handle(p.parent().rec, handlers);
            try {
              parts.add(diff(parent, self, RefOptions.description(description), RefOptions.noUpdateLastUsed()));
            } finally {
              parent.release();
            }
          } finally {
            self.release();
          }
        } else {
          parts.add(self);
        }
      }
      return merge(parts, withHandlers(o, handlers));
    } finally {
      parts.forEach(ImmutableRef::release);
    }
  }

  private static RefOption[] withHandlers(RefOptions.Parsed o, Map<Digest, DescHandler> handlers) {
    List<RefOption> out = new ArrayList<>(o.initializers());
    o.imageRefs().forEach(r -> out.add(RefOptions.imageRef(r)));
    if (o.noUpdateLastUsed()) {
      out.add(RefOptions.noUpdateLastUsed());
    }
    out.add(RefOptions.descHandlers(o.handlersOver(handlers)));
    return out.toArray(RefOption[]::new);
  }

  private ImmutableHandle newDiffRecord(ImmutableHandle lower, ImmutableHandle upper, RefOptions.Parsed o) {
    Map<Digest, DescHandler> handlers = o.handlersOver(
        RefOptions.merge(lower.descHandlers, upper == null ? Map.of() : upper.descHandlers));
    records.mu.lock();
    try {
      records.ensureOpen();
      for (ImmutableHandle h : upper == null ? List.of(lower) : List.of(lower, upper)) {
        if (h.rec.isDead()) {
          throw new NotFoundException("cannot diff " + h.rec.id + ": the record is gone");
        }
      }
      String id = records.newId();
      StorageItem md = records.item(id);
      md.queueString(MetadataKeys.LOWER_DIFF_PARENT, lower.rec.id, null);
      md.queueString(MetadataKeys.UPPER_DIFF_PARENT, upper == null ? "" : upper.rec.id, null);
      records.initializeMetadata(md, o);
      RecordStore.queueImageRefs(md, o.imageRefs());
      md.queueString(MetadataKeys.SNAPSHOT, id, null);
      md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
      md.commit();
      CacheRecord rec = new CacheRecord(id, md, false, new Parents.Diff(lower, upper), null);
      records.addLocked(rec);
      return records.newImmutableHandleLocked(rec, !o.noUpdateLastUsed(), handlers);
    } finally {
      records.mu.unlock();
    }
  }

  /** A new handle on a live record, not counting as a use; for the parts of an unmerged diff. */
  private ImmutableHandle handle(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    records.mu.lock();
    try {
      records.ensureOpen();
      if (rec.isDead()) {
        throw new NotFoundException("record " + rec.id + " is gone");
      }
      return records.newImmutableHandleLocked(rec, false, handlers);
    } finally {
      records.mu.unlock();
    }
  }

  private ImmutableHandle clone(ImmutableHandle h) {
    return (ImmutableHandle) records.cloneHandle(h);
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
