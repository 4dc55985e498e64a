package org.refcache.core.oci;

import java.io.IOException;
import java.io.InputStream;

/** Where an image's blobs are read from: an image layout, a Docker archive. */
public interface BlobSource {
  /**
   * A stream over the blob {@code blob} describes. Reading it to its end checks the bytes against
   * the descriptor and fails with a {@link BlobMismatchException} if they are not the ones named.
   */
  InputStream openBlob(OciDescriptor blob) throws IOException;
}
