package org.refcache.core.cache;

import org.refcache.core.digest.Digest;
import org.refcache.core.overlay.OverlayTree;

/**
 * An open handle to a record. Close = release; releasing twice is a no-op for the same handle. Every
 * handle obtained from the manager must be released exactly once.
 */
public interface Ref extends RefMetadata, AutoCloseable {
  /** Drops this handle (spec 2.13). */
  void release();

  @Override
  default void close() {
    release();
  }

  /** What the record's data is made of. */
  RefKind kind();

  /** The provider this handle knows for a blob, or null. */
  DescHandler descHandler(Digest blob);

  /**
   * The record's tree, materializing lazy layers first. Immutable records always give a read-only tree;
   * a mutable gives a writable tree unless {@code readOnly}, and a frozen one once committed.
   */
  OverlayTree mount(boolean readOnly);
}
