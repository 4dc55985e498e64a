package org.refcache.core.cache;

/** What a record's data is made of, derived from its parents (spec 1.2). */
public enum RefKind {
  /** One layer on top of scratch. */
  BASE_LAYER,
  /** One layer on top of a parent. */
  LAYER,
  /** Ordered stacking of other refs' layers. */
  MERGE,
  /** The changes turning one ref into another. */
  DIFF
}
