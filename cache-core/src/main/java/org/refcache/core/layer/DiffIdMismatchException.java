package org.refcache.core.layer;

import java.io.IOException;
import org.refcache.core.digest.Digest;

/** The uncompressed digest of a layer blob is not the diffID it was announced with. */
public class DiffIdMismatchException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Digest expected;
  private final Digest actual;

  public DiffIdMismatchException(Digest expected, Digest actual) {
    super("layer diffID mismatch: expected " + expected + ", the uncompressed tar is " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  /** The diffID the layer was announced with. */
  public Digest expected() {
    return expected;
  }

  /** The digest of the uncompressed stream as read. */
  public Digest actual() {
    return actual;
  }
}
