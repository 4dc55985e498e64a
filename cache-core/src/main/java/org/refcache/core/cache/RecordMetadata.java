package org.refcache.core.cache;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.refcache.core.meta.Value;

/**
 * The metadata of one record (spec 2.19), read from and written to its LMDB item. Handles extend this;
 * {@link CacheManager#search} hands out plain instances, which hold nothing.
 */
class RecordMetadata implements RefMetadata {
  final CacheManager cm;
  final CacheRecord rec;

  RecordMetadata(CacheManager cm, CacheRecord rec) {
    this.cm = cm;
    this.rec = rec;
  }

  @Override
  public String id() {
    return rec.id;
  }

  @Override
  public String description() {
    String d = rec.md.getString(MetadataKeys.DESCRIPTION);
    return d == null ? "" : d;
  }

  @Override
  public void setDescription(String text) {
    rec.md.setValue(MetadataKeys.DESCRIPTION, Value.of(text));
  }

  @Override
  public Instant createdAt() {
    return nanosToInstant(rec.md.getLong(MetadataKeys.CREATED_AT, 0));
  }

  @Override
  public void setCreatedAt(Instant time) {
    rec.md.setValue(MetadataKeys.CREATED_AT, Value.of(instantToNanos(time)));
  }

  @Override
  public Optional<Instant> lastUsedAt() {
    long ns = rec.md.getLong(MetadataKeys.LAST_USED_AT, -1);
    return ns < 0 ? Optional.empty() : Optional.of(nanosToInstant(ns));
  }

  @Override
  public int usageCount() {
    return (int) rec.md.getLong(MetadataKeys.USAGE_COUNT, 0);
  }

  @Override
  public boolean hasCachePolicyRetain() {
    return rec.isRetain();
  }

  @Override
  public boolean hasCachePolicyDefault() {
    return !rec.isRetain();
  }

  @Override
  public void setCachePolicyRetain() {
    rec.md.setValue(MetadataKeys.CACHE_POLICY, Value.of(MetadataKeys.POLICY_RETAIN));
  }

  @Override
  public void setCachePolicyDefault() {
    rec.md.setValue(MetadataKeys.CACHE_POLICY, Value.of(MetadataKeys.POLICY_DEFAULT));
  }

  @Override
  public String layerType() {
    String t = rec.md.getString(MetadataKeys.LAYER_TYPE);
    return t == null ? "" : t;
  }

  @Override
  public void setLayerType(String type) {
    rec.md.setValue(MetadataKeys.LAYER_TYPE, Value.of(type));
  }

  @Override
  public String recordType() {
    String t = rec.md.getString(MetadataKeys.RECORD_TYPE);
    return t == null || t.isEmpty() ? RecordTypes.REGULAR : t;
  }

  @Override
  public void setRecordType(String type) {
    rec.md.setValue(MetadataKeys.RECORD_TYPE, Value.of(type));
  }

  @Override
  public List<String> imageRefs() {
    List<String> l = rec.md.getStringList(MetadataKeys.IMAGE_REFS);
    return l == null ? List.of() : l;
  }

  @Override
  public Optional<RefMetadata> equalMutable() {
    return cm.commits.equalMutableMetadata(rec);
  }

  @Override
  public String getString(String key) {
    return rec.md.getString(key);
  }

  @Override
  public Value get(String key) {
    return rec.md.get(key);
  }

  @Override
  public void setString(String key, String value, String index) {
    rec.md.setString(key, value, index);
  }

  @Override
  public byte[] getExternal(String key) {
    return rec.md.getExternal(key);
  }

  @Override
  public void setExternal(String key, byte[] data) {
    rec.md.setExternal(key, data);
  }

  @Override
  public void clearValueAndIndex(String key, String indexPrefix) {
    rec.md.clearValueAndIndex(key, indexPrefix);
  }

  static Instant nanosToInstant(long ns) {
    return Instant.ofEpochSecond(Math.floorDiv(ns, 1_000_000_000L), Math.floorMod(ns, 1_000_000_000L));
  }

  static long instantToNanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

}
