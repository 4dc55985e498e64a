package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/**
 * Content fetched from (or sent to) a registry does not hash to its digest. Nothing of it was kept:
 * a blob was not committed to the content store, a manifest or config was not returned.
 */
public class RemoteDigestMismatchException extends RegistryException {
  private static final long serialVersionUID = 1L;

  private final transient Digest actual;

  /**
   * @param image the image the content belongs to
   * @param expected the digest it should have had
   * @param actual the digest of the bytes received, or null when only the registry saw them
   * @param what what the content was and where it came from, e.g. "blob from the registry"
   */
  public RemoteDigestMismatchException(ImageReference image, Digest expected, Digest actual, String what) {
    super(image, expected, "digest mismatch: the " + what + (actual != null ? " hashes to " + actual
        : " does not hash to its digest") + "; it was refused");
    this.actual = actual;
  }

  /** The digest that was expected. */
  public Digest expected() {
    return digest();
  }

  /** The digest of the bytes actually received, or null if unknown. */
  public Digest actual() {
    return actual;
  }
}
