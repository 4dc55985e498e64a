package org.refcache.core.cache;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.LayerImporter;

/**
 * An OCI content descriptor of a layer blob.
 *
 * @param annotations must carry {@link #UNCOMPRESSED_ANNOTATION} (the diffID) for {@code getByBlob}
 */
public record Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations,
    List<String> urls) {
  /** The annotation holding the digest of the uncompressed tar. */
  public static final String UNCOMPRESSED_ANNOTATION = LayerImporter.DIFF_ID_LABEL;

  public Descriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  /** A layer descriptor with its diffID annotation. */
  public static Descriptor layer(String mediaType, Digest digest, long size, Digest diffId) {
    return new Descriptor(mediaType, digest, size, Map.of(UNCOMPRESSED_ANNOTATION, diffId.toString()), List.of());
  }
}
