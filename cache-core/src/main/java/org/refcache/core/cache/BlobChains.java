package org.refcache.core.cache;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.LayerChanges;
import org.refcache.core.layer.LayerWriter;
import org.refcache.core.layer.ReadableTree;
import org.refcache.core.overlay.OverlayReadableTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spec 6.4 {@code computeBlobChain}: gives every layer of a record's layer chain a blob. A layer that
 * has one keeps it; one that has none (a committed upper, a diff with a change set of its own) gets
 * one made by streaming its change set through a {@link LayerWriter} (nothing is staged: no tar on
 * disk, no tree copied), once per record however many callers ask, and recorded with {@code setBlob}.
 * Then the chain IDs that were missing for want of blobs are worked out (spec 3.3
 * {@code computeChainMetadata}).
 *
 * <p>A blob is written under a {@link WorkLease}, so a collection cannot take it before the record
 * names it; from then on the record roots it (the collector keeps every live record's blob).
 */
final class BlobChains {
  /** The ref manager's log: one category for all its parts, as operators know it. */
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);

  private final CacheManager cm;
  private final RecordStore records;
  private final Commits commits;
  private final Materializer materializer;
  private final LayerWriter writer;
  private final SingleFlight<String> creations = new SingleFlight<>();

  BlobChains(CacheManager cm, RecordStore records, Commits commits, Materializer materializer, ContentStore content) {
    this.cm = cm;
    this.records = records;
    this.commits = commits;
    this.materializer = materializer;
    this.writer = new LayerWriter(content);
  }

  /**
   * Makes sure every layer of {@code h}'s chain has a blob.
   *
   * @param createIfNeeded whether missing blobs are made; if not, a missing one fails
   * @throws NoBlobsException when a layer has no blob and {@code createIfNeeded} is false
   */
  void compute(ImmutableHandle h, boolean createIfNeeded, RefConfig cfg) {
    records.requireLive(h);
    List<CacheRecord> walk = LayerChain.layerWalk(h.rec);
    if (!createIfNeeded) {
      for (CacheRecord r : walk) {
        if (r.blob() == null) {
          throw new NoBlobsException(r.id);
        }
      }
      return;
    }
    commits.finalizeRecord(h.rec);
    Map<String, Map<Digest, DescHandler>> handlers = handlersById(h);
    for (CacheRecord r : walk) {
      if (r.blob() == null) {
        create(r, handlers.getOrDefault(r.id, h.descHandlers), cfg);
      }
    }
    ensureChainIds(h.rec, new HashSet<>());
  }

  /** The providers each record of {@code h}'s tree is reached with. */
  private static Map<String, Map<Digest, DescHandler>> handlersById(ImmutableHandle h) {
    Map<String, Map<Digest, DescHandler>> out = new HashMap<>();
    for (LayerChain.Layer l : LayerChain.of(h.rec, h.descHandlers).layers()) {
      out.putIfAbsent(l.rec().id, l.handlers());
    }
    return out;
  }

  /** Writes the blob of one record's change set and records it; once per record at a time. */
  private void create(CacheRecord rec, Map<Digest, DescHandler> handlers, RefConfig cfg) {
    try {
      creations.run(rec.id, () -> {
        if (rec.blob() != null) {
          return; // made by the caller this one waited for
        }
        commits.finalizeRecord(rec);
        try (WorkLease lease = cm.lease()) {
          LayerWriter.WrittenLayer w = writer.write(changesOf(rec, handlers), cfg.compression(), cfg.level());
          LOG.info("created blob {} ({}, {} bytes, diffID {}) for {}", w.blob(), w.mediaType(), w.size(),
              w.diffId(), rec.id);
          cm.accessor.setBlob(rec, Descriptor.layer(w.mediaType(), w.blob(), w.size(), w.diffId()));
        }
      });
    } catch (IOException e) {
      throw new CacheException("cannot make a layer blob of " + rec.id + ": " + e.getMessage(), e);
    }
  }

  /**
   * The change set of a record that is a layer of a chain but has no blob: a committed upper
   * directory as it is, or a diff's two trees compared.
   */
  private LayerChanges changesOf(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    if (rec.parents instanceof Parents.Diff d) {
      return LayerChanges.diff(treeOf(d.lower(), handlers), treeOf(d.upper(), handlers));
    }
    if (rec.layerDir == null || rec.mutable) {
      throw new InvalidRefException("cannot make a layer blob of " + rec + ": it is not a layer");
    }
    Materializer.ensureDirectory(rec.layerDir); // a committed mutable never mounted has an empty upper
    return LayerChanges.ofUpper(rec.layerDir);
  }

  /** The tree of a diff input, read where it lies (its layers materialized as reached); scratch for null. */
  private ReadableTree treeOf(ImmutableHandle input, Map<Digest, DescHandler> handlers) {
    if (input == null) {
      return ReadableTree.EMPTY;
    }
    LayerChain chain = LayerChain.of(input.rec, RefOptions.merge(handlers, input.descHandlers));
    return new OverlayReadableTree(materializer.readOnlyTree(chain));
  }

  /**
   * Spec 3.3 {@code computeChainMetadata}: sets the chain IDs of {@code rec} and of the records below
   * it that lack them and now have enough information; never changes IDs once set.
   */
  private void ensureChainIds(CacheRecord rec, Set<String> done) {
    if (!done.add(rec.id)) {
      return;
    }
    for (ImmutableHandle p : rec.parents.handles()) {
      ensureChainIds(p.rec, done);
    }
    if (ChainPair.of(rec.md).isPresent()) {
      return;
    }
    Optional<ChainPair> ids = switch (rec.kind()) {
      case BASE_LAYER -> rec.blob() == null ? Optional.empty() : Optional.of(ChainPair.base(rec.blob(), rec.diffId()));
      case LAYER -> rec.blob() == null ? Optional.empty()
          : ChainPair.of(((Parents.Layer) rec.parents).parent().rec.md).map(p -> p.then(rec.blob(), rec.diffId()));
      case MERGE -> DerivedRefs.mergeChainIds(rec.parents.handles());
      // A diff reusing its upper's layer keeps no IDs (BuildKit gives it the upper's, which would make
      // getByBlob of the upper's chain find a tree without the lower's layers: see DerivedRefs).
      case DIFF -> LayerChain.reusedUpper((Parents.Diff) rec.parents).isPresent() || rec.blob() == null
          ? Optional.empty() : Optional.of(ChainPair.base(rec.blob(), rec.diffId()));
    };
    if (ids.isEmpty()) {
      return;
    }
    records.mu.lock();
    try {
      if (!rec.dead && ChainPair.of(rec.md).isEmpty()) {
        ids.get().queueInto(rec.md);
        rec.md.commit();
      }
    } finally {
      records.mu.unlock();
    }
  }
}
