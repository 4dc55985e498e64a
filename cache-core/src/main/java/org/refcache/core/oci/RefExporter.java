package org.refcache.core.oci;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefConfig;
import org.refcache.core.cache.Remote;
import org.refcache.core.content.BlobReader;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentProvider;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/**
 * Writes a ref as an image into an OCI image layout: its layer chain as blobs
 * ({@link ImmutableRef#getRemotes}: blobs it lacks are made, as {@link RefConfig} says), each
 * copied into the layout unless the layout has it (streamed and checked against its digest), then a
 * config with the layers' diffIDs and one history entry per layer (when its record was made, and
 * what it is), the manifest and the tag in {@code index.json} ({@link OciLayoutWriter}).
 *
 * <p>The same ref exported twice gives the same manifest: blobs are reproducible, and every time in
 * the config is a record's creation time. Docker layer media types are written as their OCI
 * equivalents (the same bytes), as an OCI manifest names them.
 */
public final class RefExporter {
  /** Hears each layer blob as it is copied. */
  @FunctionalInterface
  public interface Progress {
    /**
     * @param layer the layer's index, bottom first
     * @param layers how many there are
     * @param blob its descriptor as written
     */
    void layer(int layer, int layers, OciDescriptor blob);
  }

  private RefExporter() {}

  /**
   * Exports {@code ref} into the layout {@code target} under its tag.
   *
   * @return the manifest's descriptor as the index has it
   * @throws org.refcache.core.cache.CacheException if a layer's blob cannot be made or fetched
   * @throws OciFormatException if the directory is neither a layout nor empty
   */
  public static OciDescriptor export(ImmutableRef ref, RefConfig cfg, LayoutReference target, Progress progress)
      throws IOException {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(target, "target");
    Remote remote = ref.getRemotes(true, cfg == null ? RefConfig.defaults() : cfg, false).get(0);
    List<Descriptor> ds = remote.descriptors();
    List<ImmutableRef> chain = ref.layerChain();
    try {
      if (chain.size() != ds.size()) {
        throw new IllegalStateException(ref.id() + ": " + chain.size() + " layers but " + ds.size() + " blobs");
      }
      OciLayoutWriter writer = OciLayoutWriter.open(target.dir());
      ContentProvider source = new RemoteContent(remote);
      List<ImageLayer> layers = new ArrayList<>();
      List<ImageConfig.History> history = new ArrayList<>();
      for (int i = 0; i < ds.size(); i++) {
        Descriptor d = ds.get(i);
        OciDescriptor blob = writer.copyBlob(OciDescriptor.of(ociMediaType(d.mediaType()), d.digest(), d.size()),
            source);
        Digest diffId = Digest.parse(d.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
        layers.add(new ImageLayer(blob, diffId));
        ImmutableRef layer = chain.get(i);
        history.add(new ImageConfig.History(layer.createdAt(), createdBy(layer), null, false));
        if (progress != null) {
          progress.layer(i, ds.size(), blob);
        }
      }
      OciDescriptor.Platform platform = OciDescriptor.Platform.current();
      ImageConfig config = new ImageConfig(platform.architecture(), platform.os(), ref.createdAt(),
          layers.stream().map(ImageLayer::diffId).toList(), history, null);
      return writer.addImage(target.tag(), config, layers, Map.of());
    } finally {
      chain.forEach(ImmutableRef::release);
    }
  }

  /** What a layer's history entry says made it: its record, and its description when it has one. */
  public static String createdBy(ImmutableRef layer) {
    String d = layer.description();
    return "refcache " + layer.id() + (d == null || d.isEmpty() ? "" : ": " + d);
  }

  /** The OCI media type of a layer blob of {@code mediaType} (Docker's spellings mapped). */
  public static String ociMediaType(String mediaType) {
    return switch (mediaType) {
      case MediaTypes.DOCKER_LAYER -> MediaTypes.OCI_LAYER;
      case MediaTypes.DOCKER_LAYER_GZIP -> MediaTypes.OCI_LAYER_GZIP;
      case MediaTypes.DOCKER_LAYER_ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      case MediaTypes.DOCKER_FOREIGN_LAYER_GZIP -> MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP;
      default -> mediaType;
    };
  }

  /** A remote's blobs as the layout writer reads them: through the remote's provider (fetching lazy ones). */
  private record RemoteContent(Remote remote) implements ContentProvider {
    @Override
    public InputStream open(Digest d) throws IOException {
      for (Descriptor desc : remote.descriptors()) {
        if (desc.digest().equals(d)) {
          return remote.provider().open(desc);
        }
      }
      throw new IllegalArgumentException(d + " is not a blob of this remote");
    }

    @Override
    public BlobReader reader(Digest d) {
      throw new UnsupportedOperationException("streamed only");
    }

    @Override
    public Optional<ContentInfo> info(Digest d) {
      return Optional.empty();
    }
  }
}
