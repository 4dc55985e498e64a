package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/**
 * A registry sent (or announced) a different number of bytes than the descriptor says. Nothing of it
 * was kept.
 */
public class RemoteSizeMismatchException extends RegistryException {
  private static final long serialVersionUID = 1L;

  private final long expected;
  private final long actual;

  /**
   * @param image the image the content belongs to
   * @param digest the content's digest
   * @param expected the size the descriptor gives
   * @param actual the size announced or received (at least this many bytes when more arrived)
   * @param what what the content was, e.g. "blob"
   */
  public RemoteSizeMismatchException(ImageReference image, Digest digest, long expected, long actual,
      String what) {
    super(image, digest, "size mismatch: the " + what + " should be " + expected + " bytes but the registry "
        + "sent " + (actual > expected ? "more than " + expected : String.valueOf(actual)) + "; it was refused");
    this.expected = expected;
    this.actual = actual;
  }

  /** The size the descriptor gives. */
  public long expected() {
    return expected;
  }

  /** The size the registry announced or sent (a lower bound when it sent too much). */
  public long actual() {
    return actual;
  }
}
