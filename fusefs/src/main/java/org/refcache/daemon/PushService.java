package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.function.Consumer;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefConfig;
import org.refcache.core.registry.ImagePusher;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.PushOutcome;
import org.refcache.core.remote.RegistryClient;
import org.refcache.protocol.ControlProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code refcache push}: what an ID stands for, pushed as an image ({@link ImagePusher}) on a handle,
 * outside the service's lock. A mutable the service holds must be committed first.
 */
final class PushService {
  private static final Logger LOG = LoggerFactory.getLogger(PushService.class);

  private final RegistryAccess access;
  private final RefService service;

  PushService(RegistryAccess access, RefService service) {
    this.access = access;
    this.service = service;
  }

  /**
   * Pushes {@code id} to {@code image}.
   *
   * @param compression {@code gzip}, {@code zstd} or {@code uncompressed}: every layer in it (existing
   *     blobs converted); null: existing blobs as they are, new ones gzip
   * @return the manifest's digest, the image and what happened to the layer blobs
   */
  JsonNode push(String id, String image, String compression, boolean insecure, Consumer<JsonNode> progress)
      throws IOException {
    ImageReference target = PullService.reference(image);
    RefConfig cfg = compression == null ? RefConfig.defaults() : RefConfig.forced(ImageRequests.compression(compression));
    long start = System.nanoTime();
    ImmutableRef ref = service.readHandle(id);
    try (TransferProgress transfers = new TransferProgress(progress)) {
      RegistryClient client = access.client(target, insecure, transfers);
      ImagePusher.Pushed pushed = ImagePusher.push(client, ref, cfg, target, (i, n, blob, outcome) -> {
        if (outcome != PushOutcome.UPLOADED) {
          ObjectNode p = ControlProtocol.object();
          p.put("blob", blob.digest().toString());
          p.put("bytes", blob.size());
          p.put("total", blob.size());
          p.put("done", true);
          p.put("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT));
          transfers.send(p);
        }
      });
      LOG.info("pushed {} to {} as {} ({} layers: {}) in {} ms", ref.id(), target, pushed.manifest(), pushed.layers(),
          pushed.outcomes(), (System.nanoTime() - start) / 1_000_000);
      ObjectNode r = ControlProtocol.object();
      r.put("id", id);
      r.put("image", target.toString());
      r.put("digest", pushed.manifest().toString());
      r.put("layers", pushed.layers());
      pushed.outcomes().forEach((o, n) -> r.put(o.name().toLowerCase(java.util.Locale.ROOT), n));
      return r;
    } finally {
      ref.release();
    }
  }
}
