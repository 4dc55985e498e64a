package org.refcache.core.content;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.refcache.core.digest.Digest;

/**
 * What the store knows about one committed blob.
 *
 * @param digest the blob's digest (its name under {@code blobs/})
 * @param size the blob's size in bytes
 * @param createdAt when the blob was first committed
 * @param updatedAt when the blob was last committed again or relabelled
 * @param labels the blob's labels (containerd-style, e.g. {@code containerd.io/uncompressed}); sorted,
 *     unmodifiable
 */
public record ContentInfo(Digest digest, long size, Instant createdAt, Instant updatedAt,
    Map<String, String> labels) {

  /** Validates and copies the labels into a sorted, unmodifiable map. */
  public ContentInfo {
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + digest);
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : Objects.requireNonNull(labels, "labels").entrySet()) {
      copy.put(Objects.requireNonNull(e.getKey(), "label key"),
          Objects.requireNonNull(e.getValue(), () -> "value of label " + e.getKey()));
    }
    labels = Collections.unmodifiableMap(copy);
  }
}
