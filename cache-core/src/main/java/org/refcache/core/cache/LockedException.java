package org.refcache.core.cache;

/** The record is held in a way that forbids the request (BuildKit's {@code ErrLocked}). */
public class LockedException extends CacheException {
  private static final long serialVersionUID = 1L;

  public LockedException(String id) {
    super(id + " is locked");
  }
}
