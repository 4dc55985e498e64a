package org.refcache.core.cache;

import java.util.Map;
import java.util.Objects;

/**
 * How to fetch one lazy blob (BuildKit's {@code DescHandler}).
 *
 * @param provider fetches the bytes on first need
 * @param ref where the blob comes from (e.g. an image reference); stored with the record so that the
 *     provider can be re-bound after a restart through a {@link RemoteResolver}
 * @param annotations extra descriptor annotations
 */
public record DescHandler(BlobProvider provider, String ref, Map<String, String> annotations) {
  /** The metadata key under which a layer record keeps the {@link #ref()} its blob was created with. */
  public static final String STORED_REF_KEY = MetadataKeys.REMOTE;

  public DescHandler {
    Objects.requireNonNull(provider, "provider");
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  public static DescHandler of(BlobProvider provider, String ref) {
    return new DescHandler(provider, ref, Map.of());
  }
}
