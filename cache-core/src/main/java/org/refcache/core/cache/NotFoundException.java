package org.refcache.core.cache;

/** No live record has this ID (unknown, removed, tombstoned, or its data vanished). */
public class NotFoundException extends CacheException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message) {
    super(message);
  }
}
