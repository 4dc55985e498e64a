package org.refcache.core.digest;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/** Hashes and counts every byte written through it. */
public final class DigestingOutputStream extends FilterOutputStream {
  private final Digester digester;
  private long count;

  /** Wraps {@code out}; bytes written are fed to {@code d} after {@code out} accepted them. */
  public DigestingOutputStream(OutputStream out, Digester d) {
    super(Objects.requireNonNull(out, "out"));
    this.digester = Objects.requireNonNull(d, "digester");
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    digester.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    out.write(b, off, len);
    digester.update(b, off, len);
    count += len;
  }

  /** The digest of the bytes written so far; finishes the digester (write no further afterwards). */
  public Digest digest() {
    return digester.digest();
  }

  /** How many bytes have been written. */
  public long count() {
    return count;
  }
}
