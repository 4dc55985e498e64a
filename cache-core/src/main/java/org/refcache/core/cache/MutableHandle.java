package org.refcache.core.cache;

import java.util.Map;
import org.refcache.core.digest.Digest;

/** The handle to a mutable record. */
final class MutableHandle extends RefHandle implements MutableRef {
  MutableHandle(CacheManager cm, CacheRecord rec, boolean triggerLastUsed, Map<Digest, DescHandler> handlers) {
    super(cm, rec, triggerLastUsed, handlers);
  }

  @Override
  public void release() {
    cm.records.releaseMutableByUser(this);
  }

  @Override
  public ImmutableRef commit() {
    return cm.commits.commit(this);
  }

  @Override
  public boolean isCommitted() {
    return cm.commits.isCommitted(this);
  }
}
