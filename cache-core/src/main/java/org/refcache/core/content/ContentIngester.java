package org.refcache.core.content;

import java.io.IOException;
import org.refcache.core.digest.Digest;

/** Writes new blobs (containerd's {@code content.Ingester}). */
public interface ContentIngester {
  /**
   * Opens a writer for a new blob under {@code ref}, a caller-chosen name for the write in progress
   * (for example {@code "pull-" + digest}).
   *
   * <p>A second writer for the same ref while the first is open fails with
   * {@link IngestLockedException} naming the ref.
   *
   * @param expectedSize the blob's size if known, or -1
   * @param expected the blob's digest if known (its algorithm is the one computed), or null to compute a
   *     sha256 digest at commit
   */
  ContentWriter writer(String ref, long expectedSize, Digest expected) throws IOException;
}
