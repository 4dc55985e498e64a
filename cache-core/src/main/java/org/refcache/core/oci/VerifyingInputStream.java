package org.refcache.core.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.ReadingSkip;

/**
 * Reads a blob and checks it against its descriptor: more bytes than the size fail as soon as
 * they are read, and at the end the size and digest must match. The check happens when the end
 * is read, so a caller that must trust the bytes reads to the end before using what it read.
 */
final class VerifyingInputStream extends FilterInputStream {
  private final OciDescriptor expected;
  private final String where;
  private final Digester digester;
  private long count;
  private boolean verified;

  VerifyingInputStream(InputStream in, OciDescriptor expected, String where) {
    super(in);
    this.expected = expected;
    this.where = where;
    this.digester = Digester.of(expected.digest().algorithm());
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n < 0) {
      verifyEnd();
      return -1;
    }
    count += n;
    if (count > expected.size()) {
      throw new BlobMismatchException(where, expected.digest(), "is longer than the "
          + expected.size() + " bytes its descriptor says");
    }
    digester.update(b, off, n);
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

  private void verifyEnd() throws BlobMismatchException {
    if (verified) {
      return;
    }
    if (count != expected.size()) {
      throw new BlobMismatchException(where, expected.digest(), "has " + count
          + " bytes, not the " + expected.size() + " its descriptor says");
    }
    Digest actual = digester.digest();
    if (!actual.equals(expected.digest())) {
      throw new BlobMismatchException(where, expected.digest(), "hashes to " + actual);
    }
    verified = true;
  }
}
