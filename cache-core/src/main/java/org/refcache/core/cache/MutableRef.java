package org.refcache.core.cache;

/** The only handle to a writable record (spec 1.3). */
public interface MutableRef extends Ref {
  /**
   * Returns an immutable twin at once without copying data (spec 1.4). This handle stays registered
   * (the mutable stays locked) until the twin's last handle goes; its tree is read-only from now on.
   */
  ImmutableRef commit();

  /** Whether {@link #commit()} was called and the twin still exists. */
  boolean isCommitted();
}
