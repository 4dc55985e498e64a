package org.refcache.core.cache;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/**
 * Spec 6.4 {@code GetRemotes}: a ref's layer chain as blob descriptors. Missing blobs are made first
 * ({@link BlobChains}); each layer's descriptor is its record's blob with the annotations
 * {@code containerd.io/uncompressed} and {@code buildkit/createdat} (and, for a lazy layer, its
 * {@code containerd.io/distribution.source.*}: {@link DistributionSources}), non-distributable media types
 * mapped as {@link RefConfig#preferNonDistributable()} says, and, when compression is forced, the
 * layer's variant of the requested compression (found or made: {@link BlobVariants}).
 *
 * <p>The provider of the remotes opens a blob from the content store, fetching a lazy one first
 * (once per digest, through {@link LazyBlobs}); a descriptor of a lazy layer is given without
 * fetching it. Runs outside the manager lock.
 */
final class Remotes {
  /** BuildKit's annotation of when the record was made (RFC 3339). */
  static final String CREATED_AT_ANNOTATION = "buildkit/createdat";

  private final BlobChains chains;
  private final BlobVariants variants;
  private final LazyBlobs blobs;
  private final ContentStore content;

  Remotes(BlobChains chains, BlobVariants variants, LazyBlobs blobs, ContentStore content) {
    this.chains = chains;
    this.variants = variants;
    this.blobs = blobs;
    this.content = content;
  }

  /** See {@link ImmutableRef#getRemotes}. */
  List<Remote> get(ImmutableHandle h, boolean createIfNeeded, RefConfig cfg, boolean all) {
    RefConfig config = cfg == null ? RefConfig.defaults() : cfg;
    chains.compute(h, createIfNeeded, config);
    List<CacheRecord> walk = LayerChain.layerWalk(h.rec);
    Map<String, Map<Digest, DescHandler>> handlers = new HashMap<>();
    for (LayerChain.Layer l : LayerChain.of(h.rec, h.descHandlers).layers()) {
      handlers.putIfAbsent(l.rec().id, l.handlers());
    }
    // Where each blob's bytes come from: the record whose blob it is (and its providers), for fetching.
    Map<Digest, CacheRecord> owners = new HashMap<>();
    List<Descriptor> main = new ArrayList<>();
    try {
      for (CacheRecord r : walk) {
        Descriptor d = describe(r, config);
        owners.putIfAbsent(r.blob(), r);
        if (config.force() && BlobVariants.needsConversion(d.mediaType(), config.compression())) {
          Descriptor own = r.descriptor();
          blobs.fetch(r, own, handlers.getOrDefault(r.id, h.descHandlers));
          Descriptor v = variants.ensure(own, config.compression(), config.level());
          d = new Descriptor(v.mediaType(), v.digest(), v.size(), d.annotations(), List.of());
        }
        main.add(d);
      }
      BlobProvider provider = desc -> open(desc, owners, handlers, h.descHandlers);
      List<Remote> out = new ArrayList<>();
      out.add(new Remote(main, provider));
      if (all && !config.force() && !main.isEmpty()) {
        out.addAll(variantRemotes(walk, main, config, provider));
      }
      return out;
    } catch (IOException e) {
      throw new CacheException("cannot give the blobs of " + h.rec.id + ": " + e.getMessage(), e);
    }
  }

  /**
   * The descriptor of a record's own blob (spec 6.4 ociDesc).
   *
   * @throws NoBlobsException when it has none
   */
  private Descriptor describe(CacheRecord r, RefConfig cfg) {
    Descriptor d = r.descriptor();
    Map<String, String> annotations = new LinkedHashMap<>(d.annotations());
    annotations.put(CREATED_AT_ANNOTATION, RecordMetadata.nanosToInstant(r.md.getLong(MetadataKeys.CREATED_AT, 0)).toString());
    if (isLazy(r)) {
      // Where a push can mount it from without fetching it (a fetched blob's push finds its stored source).
      List<String> imageRefs = r.md.getStringList(MetadataKeys.IMAGE_REFS);
      annotations = DistributionSources.add(annotations, imageRefs == null ? List.of() : imageRefs);
    }
    String distributable = distributable(d.mediaType());
    if (distributable != null && !(cfg.preferNonDistributable() && !d.urls().isEmpty())) {
      return new Descriptor(distributable, d.digest(), d.size(), annotations, List.of());
    }
    return new Descriptor(d.mediaType(), d.digest(), d.size(), annotations, distributable == null ? List.of()
        : d.urls());
  }

  /** BuildKit's {@code isLazy}: a blob-only record whose blob is not in the content store. */
  private boolean isLazy(CacheRecord r) {
    Digest blob = r.blob();
    return r.isBlobOnly() && blob != null && !blobs.isLocal(blob);
  }

  /** The distributable media type of a non-distributable one, or null for any other. */
  static String distributable(String mediaType) {
    return switch (mediaType) {
      case MediaTypes.OCI_LAYER_NONDISTRIBUTABLE -> MediaTypes.OCI_LAYER;
      case MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP -> MediaTypes.OCI_LAYER_GZIP;
      case MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      case MediaTypes.DOCKER_FOREIGN_LAYER_GZIP -> MediaTypes.DOCKER_LAYER_GZIP;
      default -> null;
    };
  }

  /**
   * Spec 6.4 step 2 ({@code all}): every combination of the lower layers' available blobs (each
   * layer's own and its variants) under each variant of the top layer in the requested compression;
   * none when the top layer has no such variant. The main remote is not repeated.
   */
  private List<Remote> variantRemotes(List<CacheRecord> walk, List<Descriptor> main, RefConfig cfg,
      BlobProvider provider) throws IOException {
    int top = walk.size() - 1;
    List<Descriptor> topChoices = new ArrayList<>();
    for (Descriptor v : withVariants(main.get(top))) {
      if (!BlobVariants.needsConversion(v.mediaType(), cfg.compression())) {
        topChoices.add(v);
      }
    }
    if (topChoices.isEmpty()) {
      return List.of();
    }
    List<List<Descriptor>> combos = List.of(List.of());
    for (int i = 0; i < top; i++) {
      List<List<Descriptor>> next = new ArrayList<>();
      for (List<Descriptor> prefix : combos) {
        for (Descriptor v : withVariants(main.get(i))) {
          List<Descriptor> c = new ArrayList<>(prefix);
          c.add(v);
          next.add(c);
        }
      }
      combos = next;
    }
    Set<List<Digest>> seen = new LinkedHashSet<>();
    seen.add(digests(main));
    List<Remote> out = new ArrayList<>();
    for (List<Descriptor> prefix : combos) {
      for (Descriptor t : topChoices) {
        List<Descriptor> c = new ArrayList<>(prefix);
        c.add(t);
        if (seen.add(digests(c))) {
          out.add(new Remote(c, provider));
        }
      }
    }
    return out;
  }

  /** {@code d} and the variants linked to its blob, each with {@code d}'s annotations. */
  private List<Descriptor> withVariants(Descriptor d) throws IOException {
    List<Descriptor> out = new ArrayList<>();
    out.add(d);
    for (Descriptor v : variants.linked(d)) {
      out.add(new Descriptor(v.mediaType(), v.digest(), v.size(), d.annotations(), List.of()));
    }
    return out;
  }

  private static List<Digest> digests(List<Descriptor> ds) {
    return ds.stream().map(Descriptor::digest).toList();
  }

  /** Opens a blob of a remote, fetching it first when it is a lazy layer's and not here yet. */
  private InputStream open(Descriptor desc, Map<Digest, CacheRecord> owners,
      Map<String, Map<Digest, DescHandler>> handlers, Map<Digest, DescHandler> fallback) throws IOException {
    CacheRecord owner = owners.get(desc.digest());
    if (owner != null && !blobs.isLocal(desc.digest())) {
      blobs.fetch(owner, owner.descriptor(), handlers.getOrDefault(owner.id, fallback));
    }
    return content.open(desc.digest());
  }
}
