package org.refcache.core.oci;

import org.refcache.core.digest.Digest;

/** A blob's bytes are not the ones its descriptor names (another digest, or another size). */
public class BlobMismatchException extends OciFormatException {
  private static final long serialVersionUID = 1L;

  private final transient Digest expected;

  /**
   * @param where   the layout or archive, for the message
   * @param expected the digest the descriptor names
   * @param problem what was found instead
   */
  public BlobMismatchException(String where, Digest expected, String problem) {
    super(where + ": blob " + expected + " " + problem);
    this.expected = expected;
  }

  /** The digest the descriptor names. */
  public Digest expected() {
    return expected;
  }
}
