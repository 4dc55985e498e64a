package org.refcache.core.cache;

import java.time.Instant;
import java.util.Map;
import org.refcache.core.digest.Digest;

/**
 * An option of {@code get}, {@code newRef}, {@code getByBlob}... (spec 1.11). Build them with
 * {@link RefOptions}. Metadata options apply only when a record is first initialized; image refs apply
 * every time they are passed.
 */
public sealed interface RefOption {
  /** Sets {@code cache.description} at creation. */
  record Description(String text) implements RefOption {}

  /** Sets {@code cache.recordType} at creation. */
  record RecordType(String type) implements RefOption {}

  /** Overrides {@code cache.createdAt} at creation. */
  record CreationTime(Instant time) implements RefOption {}

  /** Sets the cache policy at creation. */
  record CachePolicy(boolean retain) implements RefOption {}

  /** Appends an image reference the layer was pulled for (set semantics). */
  record ImageRef(String ref) implements RefOption {}

  /** The returned handle does not count as a use when released. */
  record NoUpdateLastUsed() implements RefOption {}

  /** Providers for lazy blobs, by blob digest. The first such option wins. */
  record DescHandlers(Map<Digest, DescHandler> handlers) implements RefOption {
    public DescHandlers {
      handlers = Map.copyOf(handlers);
    }
  }

  /** {@code getByBlob} fetches and unpacks the new record at once. */
  record Unlazy() implements RefOption {}

  /**
   * {@code get} returns a weak handle: it keeps the record's data (and its parents) for as long as it
   * is open, but does not keep the record from prune. For readers such as the FUSE view's open
   * files: prune may remove the ref under them, never the bytes they read.
   */
  record Weak() implements RefOption {}
}
