package org.refcache.core.cache;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.digest.Digest;

/** A handle to an immutable record. */
final class ImmutableHandle extends RefHandle implements ImmutableRef {
  ImmutableHandle(CacheManager cm, CacheRecord rec, boolean triggerLastUsed, Map<Digest, DescHandler> handlers) {
    super(cm, rec, triggerLastUsed, handlers);
  }

  @Override
  public void release() {
    cm.records.releaseImmutable(this);
  }

  @Override
  public ImmutableRef cloneRef() {
    return cm.records.cloneHandle(this);
  }

  @Override
  public void finalizeRef() {
    cm.commits.finalizeRecord(rec);
  }

  @Override
  public void extract() {
    cm.materializer.extract(this);
  }

  @Override
  public List<ImmutableRef> layerChain() {
    return cm.accessor.layerChain(this);
  }

  @Override
  public List<Remote> getRemotes(boolean createIfNeeded, RefConfig cfg, boolean all) {
    return cm.remotes.get(this, createIfNeeded, cfg, all);
  }

  @Override
  public List<String> fileList() {
    return cm.usage.fileList(this);
  }

  @Override
  public long size() {
    return cm.usage.size(rec);
  }

  @Override
  public boolean isBlobOnly() {
    return rec.isBlobOnly();
  }

  @Override
  public Optional<Digest> blob() {
    return digestOf(MetadataKeys.BLOB);
  }

  @Override
  public Optional<Digest> diffId() {
    return digestOf(MetadataKeys.DIFF_ID);
  }

  @Override
  public Optional<Digest> chainId() {
    return digestOf(MetadataKeys.CHAIN_ID);
  }

  @Override
  public Optional<Digest> blobChainId() {
    return digestOf(MetadataKeys.BLOB_CHAIN_ID);
  }

  @Override
  public String snapshotId() {
    String s = rec.md.getString(MetadataKeys.SNAPSHOT);
    return s == null ? rec.id : s;
  }

  @Override
  public List<String> parentIds() {
    return rec.parents.handles().stream().map(h -> h.rec.id).toList();
  }

  /** Records the layer blob of a record that has none (spec 6.4 setBlob). */
  void setBlob(Descriptor desc) {
    cm.accessor.setBlob(this, desc);
  }

  private Optional<Digest> digestOf(String key) {
    String s = rec.md.getString(key);
    return s == null || s.isEmpty() ? Optional.empty() : Optional.of(Digest.parse(s));
  }
}
