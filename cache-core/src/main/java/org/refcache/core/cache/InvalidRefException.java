package org.refcache.core.cache;

/** The request does not fit the record's kind or state (e.g. {@code getMutable} of an immutable). */
public class InvalidRefException extends CacheException {
  private static final long serialVersionUID = 1L;

  public InvalidRefException(String message) {
    super(message);
  }
}
