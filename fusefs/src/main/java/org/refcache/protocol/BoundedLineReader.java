package org.refcache.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads {@code '\n'}-terminated lines with a bound on their length, so a peer cannot make the reader
 * hold more than the bound in memory. An oversized line is consumed up to its newline and reported as
 * {@link Line.TooLong}; the next line reads normally.
 */
public final class BoundedLineReader {
  /** One line read. */
  public sealed interface Line {
    /** A line within the bound, without its newline, decoded as UTF-8. */
    record Text(String text) implements Line {}

    /** A line over the bound; {@code bytes} is its whole length. */
    record TooLong(long bytes) implements Line {}
  }

  private final InputStream in;
  private final int maxBytes;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int end;

  public BoundedLineReader(InputStream in, int maxBytes) {
    this.in = in;
    this.maxBytes = maxBytes;
  }

  /**
   * The next line, or null at the end of the stream. A last line without a newline still counts; an
   * empty stream end gives null.
   */
  public Line next() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long length = 0;
    boolean any = false;
    while (true) {
      if (pos == end) {
        end = in.read(buf, 0, buf.length);
        pos = 0;
        if (end <= 0) {
          end = 0;
          return any ? finish(line, length) : null;
        }
      }
      any = true;
      int start = pos;
      while (pos < end && buf[pos] != '\n') {
        pos++;
      }
      int n = pos - start;
      if (length + n <= maxBytes) {
        line.write(buf, start, n);
      }
      length += n;
      if (pos < end) {
        pos++; // the newline
        return finish(line, length);
      }
    }
  }

  private Line finish(ByteArrayOutputStream line, long length) {
    if (length > maxBytes) {
      return new Line.TooLong(length);
    }
    return new Line.Text(line.toString(StandardCharsets.UTF_8));
  }
}
