package org.refcache.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.LayerBlob;
import org.refcache.core.layer.LayerStore;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.TreeLayer;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns records into trees (spec 2.12, 2.14, 6.3): materializes the layers of a {@link LayerChain}
 * (fetches a lazy blob once per digest through {@link LazyBlobs}, unpacks it once per diffID into
 * {@code layers/<hex>}, remembers a failed unpack in {@link UnpackFailures}) and makes the union tree
 * of the chain's layer directories.
 *
 * <p>The entry points: {@link #mount} (a read-only tree of an immutable record whose layers are
 * materialized when a lookup first reaches them, per-layer laziness; a mutable's tree over its
 * extracted chain), {@link #extract} (every layer now). A diff's change set is a layer of the tree
 * made of the trees of its lower and upper ({@code TreeLayer.Changes}).
 *
 * <p>Slow work (fetching, unpacking) runs outside the manager lock, deduplicated per record;
 * {@link #mount} takes the lock only to check the handle and hand out the record's cached tree.
 */
final class Materializer {
  /** The ref manager's log: one category for all its parts, as operators know it. */
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);

  private final RecordStore records;
  private final ContentStore content;
  private final LayerStore layers;
  private final LazyBlobs blobs;
  private final UnpackFailures unpackFailures;
  private final Path uppers;
  private final Path scratch;
  private final SingleFlight<String> unlazies = new SingleFlight<>();

  Materializer(RecordStore records, ContentStore content, LayerStore layers, LazyBlobs blobs,
      UnpackFailures unpackFailures, Path uppers, Path scratch) {
    this.records = records;
    this.content = content;
    this.layers = layers;
    this.blobs = blobs;
    this.unpackFailures = unpackFailures;
    this.uppers = uppers;
    this.scratch = scratch;
  }

  /** Spec 2.14 through a handle: materializes every lazy layer of its record's tree. */
  void extract(ImmutableHandle h) {
    records.requireLive(h);
    extract(LayerChain.of(h.rec, h.descHandlers));
  }

  /** Materializes every lazy layer of the chain, bottom to top. Runs outside the manager lock. */
  void extract(LayerChain chain) {
    for (LayerChain.Layer l : chain.layers()) {
      extractLayer(l);
    }
  }

  /** Whether {@link #extract(LayerChain)} would have to fetch or unpack something (a snapshot). */
  boolean needsExtract(LayerChain chain) {
    for (LayerChain.Layer l : chain.layers()) {
      if (needsExtract(l.rec())) {
        return true;
      }
    }
    return false;
  }

  private boolean needsExtract(CacheRecord rec) {
    if (rec.blob() == null || rec.mutable) {
      return false;
    }
    if (!rec.isBlobOnly() && rec.layerDir != null && rec.layerDir.startsWith(uppers)) {
      return false; // a committed upper given a blob (getRemotes): the upper is its layer directory
    }
    return rec.isBlobOnly() || !layers.isUnpacked(rec.diffId());
  }

  /**
   * Fetches and unpacks the layer of one record unless it is there, once per record however many
   * callers wait; then the record is no longer blob-only (spec 6.3).
   */
  private void extractLayer(LayerChain.Layer l) {
    CacheRecord rec = l.rec();
    if (!needsExtract(rec)) {
      return;
    }
    Digest diffId = rec.diffId();
    try {
      unlazies.run(rec.id, () -> {
        if (!rec.isBlobOnly() && layers.isUnpacked(diffId)) {
          return;
        }
        Descriptor desc = rec.descriptor();
        blobs.fetch(rec, desc, l.handlers());
        unpack(rec, desc, diffId);
        records.mu.lock();
        try {
          // Under the lock: a record removed meanwhile must not get a partial item back.
          if (rec.isBlobOnly() && !rec.dead) {
            rec.md.queueValue(MetadataKeys.BLOB_ONLY, Value.of(false));
            rec.md.queueValue(MetadataKeys.SIZE, Value.of(-1L));
            rec.md.commit();
          }
        } finally {
          records.mu.unlock();
        }
      });
    } catch (IOException e) {
      throw new CacheException("cannot unpack layer " + diffId + " of " + rec.id + ": " + e.getMessage(), e);
    }
  }

  /**
   * Unpacks the layer of {@code rec} unless it is, or its blob failed to before and the cause
   * cannot have changed ({@link UnpackFailures}): then the recorded failure is thrown at once.
   */
  private void unpack(CacheRecord rec, Descriptor desc, Digest diffId) {
    if (layers.isUnpacked(diffId)) {
      return; // from another blob of the same diffID
    }
    Digest blob = desc.digest();
    Optional<UnpackFailures.Failure> failed = unpackFailures.active(blob);
    if (failed.isPresent()) {
      throw UnpackFailures.refusal(failed.get());
    }
    LOG.info("unpacking layer {} (blob {}, {} bytes) for {}", diffId, blob, desc.size(), rec.id);
    try {
      layers.ensureUnpacked(diffId, new LayerBlob(blob.toString(), desc.mediaType(), desc.size()),
          () -> content.open(blob));
    } catch (IOException | RuntimeException e) {
      String message = "cannot unpack layer " + diffId + " (blob " + blob + ") of " + rec.id + ": "
          + (e.getMessage() == null ? e.toString() : e.getMessage());
      LOG.warn("{}", Printable.line(message));
      throw unpackFailures.record(blob, message, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // trees

  /** Spec 2.12: the record's tree; see {@link Ref#mount}. */
  OverlayTree mount(RefHandle h, boolean readOnly) {
    CacheRecord rec = h.rec;
    // Immutable trees are always read-only here, so mounting never finalizes (BuildKit finalizes only
    // for a read-write mount): an idle twin can still be un-committed after being read.
    records.requireLive(h);
    boolean ownTree = !rec.mutable && h instanceof ImmutableHandle;
    LayerChain chain = ownTree ? LayerChain.of(rec, h.descHandlers) : LayerChain.below(rec, h.descHandlers);
    OverlayTree lazy = null;
    if (ownTree) {
      OverlayTree cached = cachedTree(h);
      if (cached != null) {
        return cached;
      }
      // Per-layer laziness: a layer is unpacked when a lookup first reaches it. The root's
      // attributes are the top layer's, and every access starts at the root: that one now.
      lazy = readOnlyTree(chain);
      openRoot(lazy, rec);
    } else {
      // A mutable's parents were extracted by newRef (and are again after a restart).
      extract(chain);
    }
    records.mu.lock();
    try {
      requireMountable(h);
      if (rec.mutable) {
        if (readOnly) {
          return readOnlyTree(rec.layerDir, chain);
        }
        if (rec.tree == null) {
          WritableOverlayTree w = writableTree(rec.layerDir, chain);
          if (rec.equalImmutable != null) {
            w.freeze();
          }
          rec.tree = w;
        }
        return rec.tree;
      }
      if (rec.tree == null) {
        rec.tree = lazy;
      }
      return rec.tree;
    } finally {
      records.mu.unlock();
    }
  }

  /** The tree an immutable record's earlier mount made, or null; checks the handle. */
  private OverlayTree cachedTree(RefHandle h) {
    records.mu.lock();
    try {
      requireMountable(h);
      return h.rec.tree;
    } finally {
      records.mu.unlock();
    }
  }

  /** Caller holds the manager lock. */
  private void requireMountable(RefHandle h) {
    CacheRecord rec = h.rec;
    records.ensureOpen();
    if (h.released && !(rec.equalImmutable != null && rec.equalImmutable.equalMutable == h)) {
      throw new InvalidRefException("cannot mount " + rec.id + ": the handle is released");
    }
    if (rec.dead) {
      throw new NotFoundException("record " + rec.id + " is gone");
    }
  }

  /**
   * Reads the root of {@code tree}, unpacking its top layer: fails as the first access would
   * (a {@link LayerUnpackException} with its errno).
   */
  private static void openRoot(OverlayTree tree, CacheRecord rec) {
    try {
      tree.resolve("");
    } catch (UncheckedIOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof CacheException c) {
          throw c;
        }
      }
      throw new CacheException("cannot read the tree of " + rec.id + ": " + e.getMessage(), e);
    }
  }

  /**
   * The read-only union of the chain's layers; a layer not materialized yet is when a lookup first
   * reaches it.
   */
  OverlayTree readOnlyTree(LayerChain chain) {
    return OverlayTree.of(treeLayers(chain));
  }

  /** A read-only view of a mutable's {@code upper} over its chain (a snapshot of its tree). */
  OverlayTree readOnlyTree(Path upper, LayerChain below) {
    ensureDirectory(upper);
    List<TreeLayer> all = new ArrayList<>();
    all.add(new TreeLayer.Directory(upper));
    all.addAll(treeLayers(below));
    return OverlayTree.of(all);
  }

  /** The copy-on-write tree of a mutable's {@code upper} over its chain. */
  WritableOverlayTree writableTree(Path upper, LayerChain below) {
    ensureDirectory(upper);
    return WritableOverlayTree.over(upper, treeLayers(below));
  }

  /**
   * The layers of the chain's union, top first: records' own directories, and the change set of
   * a diff between the trees of its lower and upper (scratch for a missing one).
   */
  private List<TreeLayer> treeLayers(LayerChain chain) {
    List<TreeLayer> out = new ArrayList<>();
    for (LayerChain.Part part : chain.parts()) {
      if (part instanceof LayerChain.Own own) {
        Path dir = own.dir();
        if (dir.startsWith(uppers)) {
          ensureDirectory(dir); // a committed mutable that was never mounted has no upper yet
        }
        LayerChain.Layer layer = own.layer();
        out.add(needsExtract(layer.rec()) ? new TreeLayer.Lazy(dir, () -> unpackForTree(layer))
            : new TreeLayer.Directory(dir));
      } else {
        LayerChain.Changes changes = (LayerChain.Changes) part;
        out.add(new TreeLayer.Changes(treeOrScratch(changes.lower()), treeOrScratch(changes.upper())));
      }
    }
    Collections.reverse(out);
    return out;
  }

  /**
   * Materializes one layer for a tree whose lookup reached it; a failure is the errno that
   * lookup answers ({@link LayerUnpackException#errno()}: ENOSPC for a full disk, else EIO), with
   * the cache's exception as its cause.
   */
  private void unpackForTree(LayerChain.Layer layer) throws IOException {
    try {
      extractLayer(layer);
    } catch (LayerUnpackException e) {
      IOException io = ErrnoMapper.toException("unpack", e.errno(), String.valueOf(layer.rec().layerDir), null);
      io.initCause(e);
      throw io;
    } catch (CacheException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private OverlayTree treeOrScratch(LayerChain chain) {
    return chain == null ? OverlayTree.of(List.of(new TreeLayer.Directory(emptyDirectory()))) : readOnlyTree(chain);
  }

  /** An empty directory standing for scratch: the tree of nothing. */
  private Path emptyDirectory() {
    Path empty = scratch.resolve("empty");
    try {
      if (!Files.isDirectory(empty)) {
        Files.createDirectories(empty);
        Posix.chmod(empty, 0755);
      }
    } catch (IOException e) {
      throw new CacheException("cannot create " + empty + ": " + e.getMessage(), e);
    }
    return empty;
  }

  /** Makes a mutable's upper directory unless it exists (it is made on first use, not at creation). */
  static void ensureDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CacheException("cannot create upper directory " + dir + ": " + e.getMessage(), e);
    }
  }
}
