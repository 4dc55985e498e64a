package org.refcache.core.digest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Hashes and counts every byte read through it. Skipped bytes are read and hashed too, so the digest
 * always covers the whole prefix of the underlying stream that was consumed. Mark/reset is not
 * supported (a reset would hash bytes twice).
 */
public final class DigestingInputStream extends FilterInputStream {
  private final Digester digester;
  private long count;

  /** Wraps {@code in}; bytes read are fed to {@code d}. */
  public DigestingInputStream(InputStream in, Digester d) {
    super(Objects.requireNonNull(in, "in"));
    this.digester = Objects.requireNonNull(d, "digester");
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      digester.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      digester.update(b, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    return ReadingSkip.skip(this, n);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {
    // Not supported: see markSupported().
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported by a digesting stream");
  }

  /** The digest of the bytes read so far; finishes the digester (read no further afterwards). */
  public Digest digest() {
    return digester.digest();
  }

  /** How many bytes have been read (including skipped bytes). */
  public long count() {
    return count;
  }
}
