package org.refcache.core.layer;

import java.util.Objects;

/**
 * A layer blob as a reader of it needs to know it.
 *
 * @param name      what messages call it: the file imported, or the blob's digest
 * @param mediaType its OCI media type, which says how it is compressed
 * @param size      its (compressed) size in bytes, or -1 when unknown; the expansion ratio of
 *                  {@link LayerLimits} is measured against it
 */
public record LayerBlob(String name, String mediaType, long size) {
  public LayerBlob {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mediaType, "mediaType");
    if (size < -1) {
      throw new IllegalArgumentException("size must be -1 (unknown) or >= 0, got " + size);
    }
  }
}
