package org.refcache.core.meta;

/**
 * A failure of the metadata store that is not the caller's mistake: LMDB refused an operation, or a
 * stored or supplied value is not the JSON it should be. The message names the item ID and the key
 * involved. Caller mistakes (an invalid ID or key, a key too long for LMDB) are
 * {@link IllegalArgumentException}s instead; use of a closed environment is an
 * {@link IllegalStateException}.
 */
public class MetadataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}. */
  public MetadataException(String message) {
    super(message);
  }

  /** A failure described by {@code message}, caused by {@code cause}. */
  public MetadataException(String message, Throwable cause) {
    super(message, cause);
  }
}
