package org.refcache.core.content;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.refcache.core.digest.Digest;

/** Read access to committed blobs (containerd's {@code content.Provider}). */
public interface ContentProvider {
  /**
   * A stream over the whole blob.
   *
   * @throws ContentNotFoundException when no blob with this digest is committed
   */
  InputStream open(Digest d) throws IOException;

  /**
   * A positional reader of the blob.
   *
   * @throws ContentNotFoundException when no blob with this digest is committed
   */
  BlobReader reader(Digest d) throws IOException;

  /** The blob's info, or empty when it is not committed. */
  Optional<ContentInfo> info(Digest d) throws IOException;
}
