package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.refcache.core.digest.Digest;
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
  /**
   * Open handles; the reference count is its size. Most records have none or a few: sized for 2
   * (the default table has 64 slots: 27 MB per 100 000 records).
   */
  final Set<RefHandle> refs = Collections.newSetFromMap(new IdentityHashMap<>(2));
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

  /** The digest of this record's own layer blob, or null (a mutable, merge or diff). */
  Digest blob() {
    return digest(MetadataKeys.BLOB);
  }

  /** The diffID of this record's own layer, or null. */
  Digest diffId() {
    return digest(MetadataKeys.DIFF_ID);
  }

  /** The descriptor of this record's own layer blob, as recorded; NoBlobsException without one. */
  Descriptor descriptor() {
    Digest blob = blob();
    Digest diffId = diffId();
    if (blob == null || diffId == null) {
      throw new NoBlobsException(id);
    }
    String mt = md.getString(MetadataKeys.MEDIA_TYPE);
    return new Descriptor(mt == null ? "" : mt, blob, md.getLong(MetadataKeys.BLOB_SIZE, -1),
        Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString()), md.getStringList(MetadataKeys.URLS));
  }

  private Digest digest(String key) {
    String d = md.getString(key);
    return d == null || d.isEmpty() ? null : Digest.parse(d);
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
