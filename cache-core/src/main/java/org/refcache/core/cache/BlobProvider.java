package org.refcache.core.cache;

import java.io.IOException;
import java.io.InputStream;

/** Supplies the bytes of a blob that is not in the content store yet (a registry, an OCI layout...). */
@FunctionalInterface
public interface BlobProvider {
  /** Opens the blob's bytes; the caller verifies size and digest. */
  InputStream open(Descriptor descriptor) throws IOException;
}
