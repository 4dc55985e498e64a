package org.refcache.core.cache;

/**
 * A layer of a ref could not be unpacked, now or (recorded) earlier; the message says which layer,
 * of which ref, and why. {@link #errno()} is what a filesystem access that needed the layer
 * answers: ENOSPC or EDQUOT when the disk was full, EIO otherwise.
 */
public class LayerUnpackException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final int errno;

  public LayerUnpackException(String message, int errno, Throwable cause) {
    super(message, cause);
    this.errno = errno;
  }

  /** The errno of an access that needed the layer. */
  public int errno() {
    return errno;
  }
}
