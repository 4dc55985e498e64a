package org.refcache.core.oci;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.RefOption;
import org.refcache.core.cache.RefOptions;
import org.refcache.core.cache.WorkLease;

/**
 * Makes the chain of refs of an image (read from an OCI layout or a Docker archive): its layer
 * blobs are copied into the content store (each checked against its digest as it streams; blobs
 * the store has are not copied again), then one lazy ref per layer, each on the one below
 * ({@link CacheManager#getByBlob}): nothing is unpacked until a path is first needed. Importing
 * the same image again finds the same refs (same blob chain).
 */
public final class RefImporter {
  private RefImporter() {}

  /**
   * Imports {@code image} from {@code source}.
   *
   * @param where names the layout or archive in errors
   * @return a handle to the top layer's ref; the caller releases it
   * @throws OciFormatException if the image has no layers, a blob is missing or not what its
   *     descriptor says (nothing is recorded)
   */
  public static ImmutableRef importImage(CacheManager cm, OciImage image, BlobSource source, String where,
      String description) throws IOException {
    Objects.requireNonNull(image, "image");
    if (image.layers().isEmpty()) {
      throw new OciFormatException(where + ": the image has no layers: there is no tree to make a ref of");
    }
    // The blobs are stored before records name them: the lease keeps a collection from taking them.
    try (WorkLease lease = cm.lease()) {
      List<ImageLayer> layers;
      try {
        layers = new ImageImporter(cm.contentStore()).storeLayers(image, source);
      } catch (NoSuchFileException e) {
        throw new OciFormatException(where + ": a layer blob is missing: " + e.getFile(), e);
      }
      List<Descriptor> chain = new ArrayList<>();
      for (ImageLayer l : layers) {
        cm.forgetUnpackFailure(l.blob().digest()); // the blob was just given (and checked) again
        chain.add(Descriptor.layer(l.blob().mediaType(), l.blob().digest(), l.blob().size(), l.diffId()));
      }
      return cm.getByBlobs(chain, (i, d) -> new RefOption[] {
          RefOptions.description(description + " layer " + (i + 1) + "/" + layers.size())});
    }
  }
}
