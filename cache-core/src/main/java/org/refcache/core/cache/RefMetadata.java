package org.refcache.core.cache;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.refcache.core.meta.Value;

/** The metadata of one record, reachable from every handle to it (spec 2.19). */
public interface RefMetadata {
  String id();

  String description();

  void setDescription(String text);

  Instant createdAt();

  void setCreatedAt(Instant time);

  /** When a handle counting as a use was last released; empty when never. */
  Optional<Instant> lastUsedAt();

  int usageCount();

  boolean hasCachePolicyRetain();

  boolean hasCachePolicyDefault();

  void setCachePolicyRetain();

  void setCachePolicyDefault();

  String layerType();

  void setLayerType(String type);

  /** The record type; {@link RecordTypes#REGULAR} when unset. */
  String recordType();

  void setRecordType(String type);

  /** Image references the layer was pulled for. */
  List<String> imageRefs();

  /** The metadata of the mutable twin of a committed-but-not-finalized record. */
  Optional<RefMetadata> equalMutable();

  /** Generic access for other packages. */
  String getString(String key);

  Value get(String key);

  void setString(String key, String value, String index);

  byte[] getExternal(String key);

  void setExternal(String key, byte[] data);

  void clearValueAndIndex(String key, String indexPrefix);
}
