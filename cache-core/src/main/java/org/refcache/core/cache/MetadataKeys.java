package org.refcache.core.cache;

/** Keys of a record's metadata item (spec 3.1) plus refcache's own. */
final class MetadataKeys {
  static final String DESCRIPTION = "cache.description";
  static final String CREATED_AT = "cache.createdAt";
  static final String LAST_USED_AT = "cache.lastUsedAt";
  static final String USAGE_COUNT = "cache.usageCount";
  static final String CACHE_POLICY = "cache.cachePolicy";
  static final String LAYER_TYPE = "cache.layerType";
  static final String RECORD_TYPE = "cache.recordType";
  static final String COMMITTED = "snapshot.committed";
  static final String PARENT = "cache.parent";
  static final String MERGE_PARENTS = "cache.mergeParents";
  static final String LOWER_DIFF_PARENT = "cache.lowerDiffParent";
  static final String UPPER_DIFF_PARENT = "cache.upperDiffParent";
  static final String DIFF_ID = "cache.diffID";
  static final String BLOB = "cache.blob";
  static final String MEDIA_TYPE = "cache.mediatype";
  static final String BLOB_SIZE = "cache.blobsize";
  static final String URLS = "cache.layer.urls";
  static final String CHAIN_ID = "cache.chainID";
  static final String BLOB_CHAIN_ID = "cache.blobChainID";
  static final String SNAPSHOT = "cache.snapshot";
  static final String BLOB_ONLY = "cache.blobonly";
  static final String IMAGE_REFS = "cache.imageRefs";
  static final String DELETED = "cache.deleted";
  static final String SIZE = "snapshot.size";
  static final String EQUAL_MUTABLE = "cache.equalMutable";
  /** refcache: the record's own layer directory, relative to the state root. */
  static final String LAYER_DIR = "refcache.layerDir";
  /** refcache: where a lazy blob comes from ({@link DescHandler#ref()}), to re-bind after restart. */
  static final String REMOTE = "refcache.remote";

  static final String INDEX_CHAIN_ID = "chainid:";
  static final String INDEX_BLOB_CHAIN_ID = "blobchainid:";

  static final int POLICY_DEFAULT = 0;
  static final int POLICY_RETAIN = 1;

  private MetadataKeys() {}
}
