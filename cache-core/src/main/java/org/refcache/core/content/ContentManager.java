package org.refcache.core.content;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.refcache.core.digest.Digest;

/** Inspects, relabels and deletes committed blobs (containerd's {@code content.Manager}). */
public interface ContentManager {
  /** The blob's info, or empty when it is not committed. */
  Optional<ContentInfo> info(Digest d) throws IOException;

  /**
   * Sets labels on a committed blob; a null value removes that label, absent keys are kept.
   *
   * @return the info after the change
   * @throws ContentNotFoundException when the blob is not committed
   */
  ContentInfo updateLabels(Digest d, Map<String, String> labels) throws IOException;

  /** Calls {@code visitor} once per committed blob, outside any transaction. */
  void walk(Consumer<ContentInfo> visitor) throws IOException;

  /**
   * Deletes the blob file and its info. Readers that have it open keep reading it.
   *
   * @return whether a blob was deleted
   */
  boolean delete(Digest d) throws IOException;
}
