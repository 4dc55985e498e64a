package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.function.Consumer;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.registry.ImagePuller;
import org.refcache.core.registry.RegistryBlobs;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.InvalidReferenceException;
import org.refcache.core.remote.Platform;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistryNotFoundException;
import org.refcache.protocol.ErrorKind;

/**
 * {@code refcache pull}: an image of a registry becomes the top ref of a chain of lazy refs
 * ({@link ImagePuller}), held by the service as an import is. The registry is reached outside the
 * service's lock; only holding the ref takes it.
 */
final class PullService {
  private final RegistryAccess access;
  private final ImagePuller puller;
  private final RefService service;

  PullService(CacheManager cache, RegistryAccess access, RegistryBlobs blobs, RefService service) {
    this.access = access;
    this.puller = new ImagePuller(cache, blobs);
    this.service = service;
  }

  /**
   * Pulls {@code image} for {@code platform} (null: linux/amd64), lazily unless {@code eager}.
   *
   * @param progress receives the blob transfers of an eager pull
   * @return the top ref's ID
   * @throws ControlException usage for a bad reference or platform, not found for an image the
   *     registry does not have
   */
  String pull(String image, String platform, boolean eager, boolean insecure, Consumer<JsonNode> progress)
      throws IOException {
    ImageReference ref = reference(image);
    Platform p = platform == null ? Platform.LINUX_AMD64 : platform(platform);
    long start = System.nanoTime();
    ImagePuller.Pulled pulled;
    try (TransferProgress transfers = new TransferProgress(progress, access.fetches())) {
      RegistryClient client = access.client(ref, insecure, transfers);
      pulled = puller.pull(client, ref, p, insecure, eager);
    } catch (RegistryNotFoundException e) {
      throw new ControlException(ErrorKind.NOT_FOUND, e.getMessage());
    }
    long bytes = pulled.layers().stream().mapToLong(d -> d.size()).sum();
    String what = "pulled " + pulled.image().reference() + " (" + pulled.layers().size() + " layers, " + bytes
        + " bytes" + (eager ? ", fetched" : ", lazy") + ", " + (System.nanoTime() - start) / 1_000_000 + " ms)";
    return service.holdNew(pulled.top(), what);
  }

  static ImageReference reference(String image) {
    try {
      return ImageReference.parse(image);
    } catch (InvalidReferenceException e) {
      throw new ControlException(ErrorKind.USAGE, e.getMessage());
    }
  }

  private static Platform platform(String text) {
    try {
      return Platform.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ControlException(ErrorKind.USAGE, "invalid platform \"" + text + "\": " + e.getMessage());
    }
  }
}
