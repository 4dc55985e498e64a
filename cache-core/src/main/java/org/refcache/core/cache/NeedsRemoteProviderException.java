package org.refcache.core.cache;

import java.util.List;
import org.refcache.core.digest.Digest;

/**
 * Blobs of the chain are neither in the content store nor reachable through a provider. Callers supply
 * {@link DescHandler}s for {@link #digests()} (with {@link RefOptions#descHandlers}) and retry.
 */
public class NeedsRemoteProviderException extends CacheException {
  private static final long serialVersionUID = 1L;
  private final transient List<Digest> digests;

  public NeedsRemoteProviderException(List<Digest> digests) {
    super("missing descriptor handlers for lazy blobs " + digests);
    this.digests = List.copyOf(digests);
  }

  /** The blobs that need a provider. */
  public List<Digest> digests() {
    return digests;
  }
}
