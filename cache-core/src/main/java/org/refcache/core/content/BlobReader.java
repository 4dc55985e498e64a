package org.refcache.core.content;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Positional reads of one committed blob. Reads at different positions may run concurrently on one
 * reader. The blob stays readable through an open reader even if it is deleted meanwhile.
 */
public interface BlobReader extends Closeable {
  /**
   * Reads into {@code dst} from {@code position} of the blob, as many bytes as are available up to
   * {@code dst.remaining()}.
   *
   * @return the number of bytes read, or -1 when {@code position} is at or past the end
   */
  int read(ByteBuffer dst, long position) throws IOException;

  /** The blob's size in bytes. */
  long size() throws IOException;

  /** Releases the reader; idempotent. */
  @Override
  void close() throws IOException;
}
