package org.refcache.core.cache;

/** A disk-usage or prune filter that cannot be parsed (spec 4.2 step 1): the caller's mistake. */
public final class InvalidFilterException extends CacheException {
  public InvalidFilterException(String message) {
    super(message);
  }
}
