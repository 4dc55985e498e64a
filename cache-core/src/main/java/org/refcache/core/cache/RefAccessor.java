package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.LayerStore;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BuildKit's Accessor (spec 2.5-2.10, 2.20, 6.4): hands out handles to records, loading them or
 * making new ones. Creating a record is metadata only; its data is materialized on first use.
 */
final class RefAccessor {
  /** The ref manager's log: one category for all its parts, as operators know it. */
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);

  private final CacheManager cm;
  private final RecordStore records;
  private final Commits commits;
  private final Materializer materializer;
  private final LazyBlobs blobs;
  private final LayerStore layers;
  private final StateLayout layout;

  RefAccessor(CacheManager cm, RecordStore records, Commits commits, Materializer materializer, LazyBlobs blobs,
      LayerStore layers, StateLayout layout) {
    this.cm = cm;
    this.records = records;
    this.commits = commits;
    this.materializer = materializer;
    this.blobs = blobs;
    this.layers = layers;
    this.layout = layout;
  }

  /** The live record {@code id} whose lazy blobs can all be fetched; caller holds mu. */
  private CacheRecord usableLocked(String id, Map<Digest, DescHandler> handlers) {
    CacheRecord rec = records.getLocked(id, handlers);
    blobs.requireProviders(rec, handlers);
    return rec;
  }

  /** Spec 2.5; see {@link CacheManager#get}. */
  ImmutableRef get(String id, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    records.mu.lock();
    try {
      records.ensureOpen();
      CacheRecord rec = usableLocked(id, o.descHandlers());
      RecordStore.applyImageRefs(rec, o.imageRefs());
      if (rec.mutable) {
        if (!rec.refs.isEmpty()) {
          throw new LockedException(id);
        }
        if (rec.equalImmutable != null) {
          return records.newImmutableHandleLocked(rec.equalImmutable, !o.noUpdateLastUsed(), o.descHandlers());
        }
        // BuildKit quirk 4, kept: an idle mutable is committed on the spot.
        MutableHandle mh = records.newMutableHandleLocked(rec, !o.noUpdateLastUsed(), o.descHandlers());
        try {
          ImmutableHandle twin = commits.commitLocked(mh);
          // Nobody held the mutable, so no write can be in flight on its tree.
          if (rec.tree instanceof WritableOverlayTree w) {
            w.freeze();
          }
          return twin;
        } catch (RuntimeException e) {
          rec.refs.remove(mh);
          mh.released = true;
          throw e;
        }
      }
      return records.newImmutableHandleLocked(rec, !o.noUpdateLastUsed(), o.descHandlers());
    } finally {
      records.mu.unlock();
    }
  }

  /** Spec 2.6; see {@link CacheManager#getMutable}. */
  MutableRef getMutable(String id, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    records.mu.lock();
    try {
      records.ensureOpen();
      CacheRecord rec = usableLocked(id, o.descHandlers());
      if (!rec.mutable) {
        throw new InvalidRefException(id + " is not mutable");
      }
      if (!rec.refs.isEmpty()) {
        throw new LockedException(id);
      }
      commits.uncommitLocked(rec);
      MutableHandle h = records.newMutableHandleLocked(rec, !o.noUpdateLastUsed(), o.descHandlers());
      RecordStore.applyImageRefs(rec, o.imageRefs());
      return h;
    } finally {
      records.mu.unlock();
    }
  }

  /** Spec 2.7; see {@link CacheManager#newRef}. */
  MutableRef newRef(ImmutableRef parent, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    ImmutableHandle parentClone = null;
    Map<Digest, DescHandler> handlers = o.descHandlers();
    if (parent != null) {
      parentClone = (ImmutableHandle) records.cloneHandle(records.own(parent));
      handlers = o.handlersOver(parentClone.descHandlers);
    }
    String id = records.newId();
    // Metadata only: the upper directory is made on first mount (DESIGN: creating a ref is O(1) metadata).
    Path upper = layout.uppers().resolve(id);
    try {
      if (parentClone != null) {
        commits.finalizeRecord(parentClone.rec);
        materializer.extract(LayerChain.of(parentClone.rec, handlers));
      }
      records.mu.lock();
      try {
        records.ensureOpen();
        StorageItem md = records.item(id);
        if (parentClone != null) {
          md.queueString(MetadataKeys.PARENT, parentClone.rec.id, null);
        }
        records.initializeMetadata(md, o);
        md.queueString(MetadataKeys.SNAPSHOT, id, null);
        md.queueString(MetadataKeys.LAYER_DIR, layout.relative(upper), null);
        RecordStore.queueImageRefs(md, o.imageRefs());
        md.commit();
        CacheRecord rec = new CacheRecord(id, md, true,
            parentClone == null ? Parents.NONE : new Parents.Layer(parentClone), upper);
        records.addLocked(rec);
        return records.newMutableHandleLocked(rec, true, handlers);
      } finally {
        records.mu.unlock();
      }
    } catch (RuntimeException e) {
      if (parentClone != null) {
        parentClone.release();
      }
      throw e;
    }
  }

  /** Spec 2.10; see {@link CacheManager#getByBlob}. */
  ImmutableRef getByBlob(Descriptor desc, ImmutableRef parent, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    String diffIdText = desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION);
    if (diffIdText == null || diffIdText.isEmpty()) {
      throw new InvalidRefException("missing uncompressed annotation for " + desc.digest());
    }
    Digest diffId = Digest.parse(diffIdText);
    Map<Digest, DescHandler> handlers = o.descHandlers();
    if (!handlers.containsKey(desc.digest()) && !blobs.isLocal(desc.digest())) {
      throw new NeedsRemoteProviderException(List.of(desc.digest()));
    }
    ChainPair ids = ChainPair.base(desc.digest(), diffId);
    ImmutableHandle p = null;
    if (parent != null) {
      Map<Digest, DescHandler> ph = o.handlersOver(records.own(parent).descHandlers);
      p = (ImmutableHandle) get(parent.id(), RefOptions.noUpdateLastUsed(), RefOptions.descHandlers(ph));
      try {
        commits.finalizeRecord(p.rec);
        String pid = p.id();
        ids = ChainPair.of(p.rec.md).orElseThrow(
            () -> new InvalidRefException("failed to get ref by blob on non-addressable parent " + pid))
            .then(desc.digest(), diffId);
        handlers = o.handlersOver(p.descHandlers);
      } catch (RuntimeException e) {
        p.release();
        throw e;
      }
    }
    ImmutableHandle result;
    records.mu.lock();
    try {
      records.ensureOpen();
      CacheRecord same = firstLoadable(MetadataKeys.INDEX_BLOB_CHAIN_ID + ids.blobChainId(), handlers);
      if (same != null) {
        RecordStore.applyImageRefs(same, o.imageRefs());
        result = records.newImmutableHandleLocked(same, !o.noUpdateLastUsed(), handlers);
        if (p != null) {
          records.releaseImmutableLocked(p);
        }
      } else {
        CacheRecord link = firstLoadable(MetadataKeys.INDEX_CHAIN_ID + ids.chainId(), handlers);
        String snapshotId = link == null ? ids.chainId().toString() : link.md.getString(MetadataKeys.SNAPSHOT);
        String id = records.newId();
        StorageItem md = records.item(id);
        if (p != null) {
          md.queueString(MetadataKeys.PARENT, p.rec.id, null);
        }
        records.initializeMetadata(md, o);
        RecordStore.queueImageRefs(md, o.imageRefs());
        md.queueString(MetadataKeys.DIFF_ID, diffId.toString(), null);
        md.queueString(MetadataKeys.BLOB, desc.digest().toString(), null);
        ids.queueInto(md);
        md.queueString(MetadataKeys.SNAPSHOT, snapshotId, null);
        md.queueValue(MetadataKeys.BLOB_ONLY, Value.of(true));
        md.queueString(MetadataKeys.MEDIA_TYPE, desc.mediaType(), null);
        md.queueValue(MetadataKeys.BLOB_SIZE, Value.of(desc.size()));
        if (!desc.urls().isEmpty()) {
          md.queueValue(MetadataKeys.URLS, Value.of(desc.urls()));
        }
        md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
        md.queueString(MetadataKeys.LAYER_DIR, layout.relative(layers.dir(diffId)), null);
        DescHandler dh = handlers.get(desc.digest());
        if (dh != null && dh.ref() != null) {
          md.queueString(MetadataKeys.REMOTE, dh.ref(), null);
        }
        md.commit();
        CacheRecord rec = new CacheRecord(id, md, false, p == null ? Parents.NONE : new Parents.Layer(p),
            layers.dir(diffId));
        records.addLocked(rec);
        result = records.newImmutableHandleLocked(rec, !o.noUpdateLastUsed(), handlers);
      }
    } catch (RuntimeException e) {
      if (p != null && !p.released) {
        records.releaseImmutableLocked(p);
      }
      throw e;
    } finally {
      records.mu.unlock();
    }
    if (o.unlazy()) {
      try {
        result.extract();
      } catch (RuntimeException e) {
        result.release();
        throw e;
      }
    }
    return result;
  }

  /** The first record under {@code index} that loads with providers for its lazy blobs; caller holds mu. */
  private CacheRecord firstLoadable(String index, Map<Digest, DescHandler> handlers) {
    for (StorageItem item : records.search(index, false)) {
      try {
        return usableLocked(item.id(), handlers);
      } catch (NotFoundException e) {
        continue;
      } catch (NeedsRemoteProviderException e) {
        LOG.debug("skipping {} for {}: {}", item.id(), index, Printable.line(e.getMessage()));
      }
    }
    return null;
  }

  /** Spec 2.20; see {@link CacheManager#search}. */
  List<RefMetadata> search(String index, boolean prefixOnly) {
    records.mu.lock();
    try {
      records.ensureOpen();
      List<RefMetadata> out = new ArrayList<>();
      for (StorageItem item : records.search(index, prefixOnly)) {
        if (item.getBool(MetadataKeys.DELETED)) {
          continue;
        }
        try {
          out.add(new RecordMetadata(cm, records.getLocked(item.id(), Map.of())));
        } catch (CacheException e) {
          LOG.debug("search {}: skipping {}: {}", index, item.id(), Printable.line(e.getMessage()));
        }
      }
      return out;
    } finally {
      records.mu.unlock();
    }
  }

  /** Clones of the layer chain, bottom to top (spec 1.5 layerWalk). */
  List<ImmutableRef> layerChain(ImmutableHandle h) {
    records.mu.lock();
    try {
      records.ensureOpen();
      List<ImmutableRef> out = new ArrayList<>();
      for (CacheRecord r : LayerChain.layerWalk(h.rec)) {
        out.add(records.newImmutableHandleLocked(r, false, h.descHandlers));
      }
      return out;
    } finally {
      records.mu.unlock();
    }
  }

  /**
   * Spec 6.4 setBlob: records {@code desc} as the blob of a record that has none (the blob must be in
   * the content store), then its chain IDs when the parent has them.
   */
  void setBlob(ImmutableHandle h, Descriptor desc) {
    setBlob(h.rec, desc);
  }

  /** {@link #setBlob(ImmutableHandle, Descriptor)} of a record reached through a handle to it or a child. */
  void setBlob(CacheRecord target, Descriptor desc) {
    String diffIdText = desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION);
    if (diffIdText == null) {
      throw new InvalidRefException("missing uncompressed annotation for " + desc.digest());
    }
    Digest diffId = Digest.parse(diffIdText);
    if (!blobs.isLocal(desc.digest())) {
      throw new NotFoundException("blob " + desc.digest() + " is not in the content store");
    }
    commits.finalizeRecord(target);
    records.mu.lock();
    try {
      CacheRecord rec = target;
      if (rec.blob() != null || rec.dead) {
        return;
      }
      StorageItem md = rec.md;
      md.queueString(MetadataKeys.DIFF_ID, diffId.toString(), null);
      md.queueString(MetadataKeys.BLOB, desc.digest().toString(), null);
      md.queueString(MetadataKeys.MEDIA_TYPE, desc.mediaType(), null);
      md.queueValue(MetadataKeys.BLOB_SIZE, Value.of(desc.size()));
      Optional<ChainPair> ids = Optional.empty();
      if (rec.parents instanceof Parents.None) {
        ids = Optional.of(ChainPair.base(desc.digest(), diffId));
      } else if (rec.parents instanceof Parents.Layer l) {
        ids = ChainPair.of(l.parent().rec.md).map(pp -> pp.then(desc.digest(), diffId));
      }
      if (ids.isPresent() && md.getString(MetadataKeys.CHAIN_ID) == null) {
        ids.get().queueInto(md);
      }
      md.commit();
    } finally {
      records.mu.unlock();
    }
  }
}
