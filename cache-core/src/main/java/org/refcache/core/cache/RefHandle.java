package org.refcache.core.cache;

import java.util.Map;
import org.refcache.core.digest.Digest;
import org.refcache.core.overlay.OverlayTree;

/** What both handle kinds share: the record, the use flag and the providers. */
abstract sealed class RefHandle extends RecordMetadata implements Ref permits ImmutableHandle, MutableHandle {
  /** Whether releasing this handle counts as a use (guarded by the manager lock). */
  boolean triggerLastUsed;
  final Map<Digest, DescHandler> descHandlers;
  /** Guarded by the manager lock. */
  boolean released;
  /**
   * A weak handle ({@link RefOptions#weak()}) keeps the record's data, not the record: prune may
   * remove a record that only weak handles hold. Guarded by the manager lock.
   */
  boolean weak;

  RefHandle(CacheManager cm, CacheRecord rec, boolean triggerLastUsed, Map<Digest, DescHandler> descHandlers) {
    super(cm, rec);
    this.triggerLastUsed = triggerLastUsed;
    this.descHandlers = descHandlers;
  }

  @Override
  public RefKind kind() {
    return rec.kind();
  }

  @Override
  public DescHandler descHandler(Digest blob) {
    return descHandlers.get(blob);
  }

  @Override
  public OverlayTree mount(boolean readOnly) {
    return cm.materializer.mount(this, readOnly);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + rec.id + (released ? ", released" : "") + ")";
  }
}
