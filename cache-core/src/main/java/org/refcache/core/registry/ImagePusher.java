package org.refcache.core.registry;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.cache.DescHandler;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefConfig;
import org.refcache.core.cache.Remote;
import org.refcache.core.digest.Digest;
import org.refcache.core.oci.ImageConfig;
import org.refcache.core.oci.OciMediaTypes;
import org.refcache.core.oci.RefExporter;
import org.refcache.core.remote.BlobSource;
import org.refcache.core.remote.ImageManifest;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.PushOutcome;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistrySource;

/**
 * Pushes a ref as an image: its layer chain as blobs ({@link ImmutableRef#getRemotes}: blobs it lacks
 * are made, in the compression {@link RefConfig} asks for), each skipped when the repository has it
 * (HEAD), mounted from the repository it was pulled from when that is in the same registry, else
 * uploaded (in chunks when large; a lazy blob is read through its provider, from where it was pulled);
 * then the config (the layers' diffIDs, one history entry per layer, this platform), and the OCI
 * manifest last, under the target's tag.
 */
public final class ImagePusher {
  private ImagePusher() {}

  /**
   * What a push did.
   *
   * @param manifest the pushed manifest's digest
   * @param outcomes how many layer blobs were found present, mounted and uploaded
   */
  public record Pushed(Digest manifest, int layers, Map<PushOutcome, Integer> outcomes) {}

  /** Hears each layer blob as it is done. */
  @FunctionalInterface
  public interface Progress {
    void layer(int layer, int layers, OciDescriptor blob, PushOutcome outcome);
  }

  /**
   * @throws org.refcache.core.remote.RegistryException naming the image and digest when the registry
   *     refuses or a blob does not verify
   * @throws org.refcache.core.cache.CacheException when a blob cannot be made or fetched
   */
  public static Pushed push(RegistryClient client, ImmutableRef ref, RefConfig cfg, ImageReference target,
      Progress progress) throws IOException {
    Remote remote = ref.getRemotes(true, cfg == null ? RefConfig.defaults() : cfg, false).get(0);
    List<Descriptor> ds = remote.descriptors();
    List<ImmutableRef> chain = ref.layerChain();
    try {
      if (chain.size() != ds.size()) {
        throw new IllegalStateException(ref.id() + ": " + chain.size() + " layers but " + ds.size() + " blobs");
      }
      Map<PushOutcome, Integer> outcomes = new EnumMap<>(PushOutcome.class);
      List<OciDescriptor> layers = new ArrayList<>();
      List<Digest> diffIds = new ArrayList<>();
      List<String> createdBy = new ArrayList<>();
      for (int i = 0; i < ds.size(); i++) {
        Descriptor d = ds.get(i);
        OciDescriptor blob = OciDescriptor.of(RefExporter.ociMediaType(d.mediaType()), d.digest(), d.size());
        String mountFrom = sameRegistrySource(chain.get(i), d.digest(), target).orElse(null);
        PushOutcome outcome = client.pushBlob(target, blob, () -> remote.provider().open(d), mountFrom);
        outcomes.merge(outcome, 1, Integer::sum);
        layers.add(blob);
        diffIds.add(Digest.parse(d.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)));
        createdBy.add(RefExporter.createdBy(chain.get(i)));
        if (progress != null) {
          progress.layer(i, ds.size(), blob, outcome);
        }
      }
      Instant created = ref.createdAt();
      byte[] config = ImageConfig.of(diffIds, createdBy, created).toJson();
      OciDescriptor configBlob = OciDescriptor.of(OciMediaTypes.CONFIG, config);
      client.pushBlob(target, configBlob, BlobSource.of(config), null);
      Digest manifest = client.pushManifest(target, ImageManifest.oci(configBlob, layers));
      return new Pushed(manifest, ds.size(), outcomes);
    } finally {
      chain.forEach(ImmutableRef::release);
    }
  }

  /**
   * The repository of {@code target}'s registry the layer's blob was pulled from, when it is another
   * one: the registry can mount the blob from there instead of receiving its bytes.
   */
  private static Optional<String> sameRegistrySource(ImmutableRef layer, Digest blob, ImageReference target) {
    if (!layer.blob().map(blob::equals).orElse(false)) {
      return Optional.empty(); // a converted variant: not what was pulled
    }
    return RegistrySource.parse(layer.getString(DescHandler.STORED_REF_KEY))
        .map(RegistrySource::image)
        .filter(image -> image.registry().equals(target.registry())
            && !image.repository().equals(target.repository()))
        .map(ImageReference::repository);
  }
}
