package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.overlay.OverlayTree;

/**
 * The persistent cache entry of one ID, in memory. Every field is guarded by the manager lock, except
 * {@link #md} (thread-safe itself) and the identity fields.
 */
final class CacheRecord {
  final String id;
  final StorageItem md;
  final boolean mutable;
  final Parents parents;
  /** Open handles; the reference count is its size. */
  final Set<RefHandle> refs = Collections.newSetFromMap(new IdentityHashMap<>());
  boolean dead;
  /** For a committed twin: the mutable handle that committed (kept registered until released). */
  MutableHandle equalMutable;
  /** For a mutable: its committed twin, while it exists. */
  CacheRecord equalImmutable;
  /** The tree handed out by mount, reused while the record lives (mountCache). */
  OverlayTree tree;
  /** This record's own layer directory, or null (merge, diff). */
  final Path layerDir;

  CacheRecord(String id, StorageItem md, boolean mutable, Parents parents, Path layerDir) {
    this.id = id;
    this.md = md;
    this.mutable = mutable;
    this.parents = parents;
    this.layerDir = layerDir;
  }

  RefKind kind() {
    return parents.kind();
  }

  /** Dead itself, or its mutable twin is. */
  boolean isDead() {
    return dead || (equalMutable != null && equalMutable.rec.dead);
  }

  boolean isBlobOnly() {
    return md.getBool(MetadataKeys.BLOB_ONLY);
  }

  boolean isRetain() {
    return md.getLong(MetadataKeys.CACHE_POLICY, MetadataKeys.POLICY_DEFAULT) == MetadataKeys.POLICY_RETAIN;
  }

  boolean anyHandleTriggersLastUsed() {
    for (RefHandle h : refs) {
      if (h.triggerLastUsed) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return (mutable ? "mutable " : "immutable ") + kind() + " " + id;
  }
}
