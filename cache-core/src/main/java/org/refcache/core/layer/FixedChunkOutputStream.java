package org.refcache.core.layer;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Hands the bytes written to it on in chunks of one fixed size (the last one shorter), whatever
 * sizes they were written in. A compressor fed through it gives output that depends on the bytes
 * alone: zstd's streaming output also depends on how its input was cut. {@link #flush()} passes
 * nothing on (a compressor's flush would end a block and change the output); {@link #close()}
 * hands on the rest and closes.
 */
final class FixedChunkOutputStream extends FilterOutputStream {
  private final byte[] chunk;
  private int filled;

  FixedChunkOutputStream(OutputStream out, int chunkSize) {
    super(out);
    this.chunk = new byte[chunkSize];
  }

  @Override
  public void write(int b) throws IOException {
    chunk[filled++] = (byte) b;
    if (filled == chunk.length) {
      emit();
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    while (len > 0) {
      int n = Math.min(len, chunk.length - filled);
      System.arraycopy(b, off, chunk, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == chunk.length) {
        emit();
      }
    }
  }

  @Override
  public void flush() {
    // Deliberately nothing: see the class comment.
  }

  @Override
  public void close() throws IOException {
    try {
      if (filled > 0) {
        emit();
      }
    } finally {
      out.close();
    }
  }

  private void emit() throws IOException {
    out.write(chunk, 0, filled);
    filled = 0;
  }
}
