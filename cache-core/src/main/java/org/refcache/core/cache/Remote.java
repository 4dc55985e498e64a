package org.refcache.core.cache;

import java.util.List;
import java.util.Objects;

/**
 * A ref's layers as blobs (BuildKit's {@code solver.Remote}): descriptors bottom to top, and where
 * their bytes come from. The provider opens a blob from the content store, fetching a lazy one first
 * (once per digest); what it gives is the blob's exact bytes.
 */
public record Remote(List<Descriptor> descriptors, BlobProvider provider) {
  public Remote {
    descriptors = List.copyOf(descriptors);
    Objects.requireNonNull(provider, "provider");
  }
}
