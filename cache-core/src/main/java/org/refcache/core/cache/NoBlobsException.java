package org.refcache.core.cache;

/** A layer of the chain has no blob and none may be created. */
public class NoBlobsException extends CacheException {
  private static final long serialVersionUID = 1L;

  public NoBlobsException(String id) {
    super("no blobs for snapshot " + id);
  }
}
