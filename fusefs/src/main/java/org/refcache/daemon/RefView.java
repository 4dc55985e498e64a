package org.refcache.daemon;

import java.time.Instant;
import java.util.List;
import org.refcache.core.cache.RecordInfo;

/**
 * One record as {@code refcache ls} and {@code refcache info} show it: the cache's view plus what the
 * service knows (whether it holds a handle, where the tree is, bind mounts).
 */
public record RefView(String id, String kind, boolean mutable, boolean held, boolean inUse, int handles,
    String description, String recordType, String createdAt, String lastUsedAt, int usageCount,
    List<String> parents, boolean blobOnly, boolean lazy, String blob, String diffId, String chainId,
    boolean retain, String equalMutable, String equalImmutable, String path, List<String> mounts,
    String unpackError) {

  static RefView of(RecordInfo r, boolean held, String path, List<String> mounts) {
    return new RefView(r.id(), r.kind().name().toLowerCase(java.util.Locale.ROOT), r.mutable(), held, r.inUse(),
        r.handles(), r.description(), r.recordType(), text(r.createdAt()), text(r.lastUsedAt()), r.usageCount(),
        r.parents(), r.blobOnly(), r.lazy(), r.blob(), r.diffId(), r.chainId(), r.retain(), r.equalMutable(),
        r.equalImmutable(), path, mounts, r.unpackError());
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }
}
