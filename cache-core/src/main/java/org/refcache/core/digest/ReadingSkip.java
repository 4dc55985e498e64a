package org.refcache.core.digest;

import java.io.IOException;
import java.io.InputStream;

/**
 * {@code skip} for filter streams that must see every byte (digests, size checks, limits):
 * {@link java.io.FilterInputStream#skip} would hand the skip to the stream below, past them.
 */
public final class ReadingSkip {
  private ReadingSkip() {
  }

  /** Skips up to {@code n} bytes by reading them through {@code in}; the bytes skipped. */
  public static long skip(InputStream in, long n) throws IOException {
    if (n <= 0) {
      return 0;
    }
    byte[] buf = new byte[(int) Math.min(8192, n)];
    long skipped = 0;
    while (skipped < n) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }
}
