package org.refcache.core.layer;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes writes on; closing it only flushes. Lets a compressor's {@code close()} finish its
 * stream without closing what it writes to (a content-store ingest, a caller's stream).
 */
final class NotClosingOutputStream extends FilterOutputStream {
  NotClosingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
