package org.refcache.core.registry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.DescHandler;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefOption;
import org.refcache.core.cache.RefOptions;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;
import org.refcache.core.remote.ImageConfig;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.MalformedManifestException;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.Platform;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistryException;
import org.refcache.core.remote.RegistrySource;
import org.refcache.core.remote.ResolvedImage;
import org.refcache.core.remote.UnsupportedManifestException;

/**
 * Pulls an image from a registry as a chain of lazy refs: the manifest and the config are fetched
 * now; each layer becomes a blob-only record ({@link CacheManager#getByBlob}) whose blob is fetched,
 * through the provider its {@link DescHandler} carries, only when a lookup first reaches its layer
 * (top-down, so a path in the top layer fetches only that layer), once per digest. No layer blob is
 * downloaded by {@link #pull} itself unless asked to ({@code eager}).
 */
public final class ImagePuller {
  private final CacheManager cache;
  private final RegistryBlobs blobs;

  public ImagePuller(CacheManager cache, RegistryBlobs blobs) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
  }

  /**
   * What a pull made.
   *
   * @param top a handle to the image's top ref (the caller releases it)
   * @param image the image as resolved (its manifest's digest, the platform chosen)
   * @param layers the layers' descriptors, bottom first
   */
  public record Pulled(ImmutableRef top, ResolvedImage image, List<Descriptor> layers) {}

  /**
   * Resolves {@code image} for {@code platform}, fetches its config and makes the chain of refs of its
   * layers, each with a provider fetching through {@code client}; with {@code eager}, every layer is
   * then fetched and unpacked before this returns.
   *
   * @param insecure whether the registry was named with {@code --insecure} (stored with each blob, so
   *     that a restart reaches it the same way)
   * @throws RegistryException naming the image and digest (not found, unauthorized, mismatch...)
   * @throws UnsupportedManifestException when the image has no layers it can use
   */
  public Pulled pull(RegistryClient client, ImageReference image, Platform platform, boolean insecure,
      boolean eager) throws IOException {
    ResolvedImage resolved = client.resolve(image, platform);
    ImageReference byDigest = resolved.reference();
    OciDescriptor configBlob = resolved.manifest().config();
    ImageConfig config;
    try {
      config = ImageConfig.parse(client.fetchConfig(byDigest, configBlob));
    } catch (MalformedManifestException e) {
      throw new UnsupportedManifestException(byDigest, configBlob.digest(), "its config: " + e.getMessage());
    }
    List<OciDescriptor> layerBlobs = resolved.manifest().layers();
    if (layerBlobs.isEmpty()) {
      throw new UnsupportedManifestException(byDigest, resolved.digest(), "the image has no layers");
    }
    if (config.diffIds().size() != layerBlobs.size()) {
      throw new UnsupportedManifestException(byDigest, configBlob.digest(), "the config lists "
          + config.diffIds().size() + " diff IDs for the manifest's " + layerBlobs.size() + " layers");
    }
    List<Descriptor> layers = new ArrayList<>();
    for (int i = 0; i < layerBlobs.size(); i++) {
      OciDescriptor blob = layerBlobs.get(i);
      if (!MediaTypes.isLayer(blob.mediaType())) {
        throw new UnsupportedManifestException(byDigest, blob.digest(), "layer " + i + " has media type "
            + blob.mediaType() + ", not a layer this cache unpacks");
      }
      layers.add(Descriptor.layer(blob.mediaType(), blob.digest(), blob.size(), config.diffIds().get(i)));
    }
    DescHandler handler = blobs.handler(new RegistrySource(byDigest, insecure), client);
    ImmutableRef top = chain(layers, handler, image);
    if (eager) {
      try {
        top.extract();
      } catch (RuntimeException e) {
        top.release();
        throw e;
      }
    }
    return new Pulled(top, resolved, layers);
  }

  /** The records of {@code layers}, bottom first; returns a handle to the top one. */
  private ImmutableRef chain(List<Descriptor> layers, DescHandler handler, ImageReference image) {
    return cache.getByBlobs(layers, (i, d) -> new RefOption[] {
        RefOptions.descHandlers(Map.of(d.digest(), handler)),
        RefOptions.imageRef(image.toString()),
        RefOptions.description("pull " + image + " (layer " + (i + 1) + " of " + layers.size() + ")")});
  }
}
