package org.refcache.core.content;

import java.io.IOException;
import org.refcache.core.digest.Digest;

/** The bytes written do not hash to the expected digest; the blob was discarded. */
public class DigestMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Digest expected;
  private final transient Digest actual;

  /** For a write under {@code ref} that expected {@code expected} but hashed to {@code actual}. */
  public DigestMismatchException(String ref, Digest expected, Digest actual) {
    super("digest mismatch for ingest ref \"" + ref + "\": expected " + expected + ", got " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  /** The digest the writer was opened with. */
  public Digest expected() {
    return expected;
  }

  /** The digest of the bytes actually written. */
  public Digest actual() {
    return actual;
  }
}
