package org.refcache.core.content;

import java.io.IOException;

/** The number of bytes written differs from the expected size; the blob was discarded. */
public class SizeMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long expected;
  private final long actual;

  /** For a write under {@code ref} that expected {@code expected} bytes but got {@code actual}. */
  public SizeMismatchException(String ref, long expected, long actual) {
    super("size mismatch for ingest ref \"" + ref + "\": expected " + expected + " bytes, got " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  /** The size the writer was opened with. */
  public long expected() {
    return expected;
  }

  /** The number of bytes actually written. */
  public long actual() {
    return actual;
  }
}
