package org.refcache.core.oci;

import java.util.Objects;
import org.refcache.core.digest.Digest;

/**
 * One layer of an image: its blob's descriptor (media type, digest, size) and the diffID the
 * image's config gives it (the digest of the uncompressed tar).
 */
public record ImageLayer(OciDescriptor blob, Digest diffId) {
  public ImageLayer {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(diffId, "diffId");
  }
}
