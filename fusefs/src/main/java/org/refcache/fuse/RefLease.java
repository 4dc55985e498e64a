package org.refcache.fuse;

import org.refcache.core.overlay.OverlayTree;

/**
 * A ref handle held by the FUSE view while it serves the ref's tree: the bytes under it stay alive
 * until {@link #close()}. The view closes each lease exactly once.
 */
public interface RefLease extends AutoCloseable {

  /**
   * The tree to serve: a {@link org.refcache.core.overlay.WritableOverlayTree} for a writable
   * mutable ref (it may be frozen after a commit, then it answers {@code EROFS}), otherwise a
   * read-only {@link OverlayTree}. Always the same object for one lease.
   */
  OverlayTree tree();

  /** Releases the handle. */
  @Override
  void close();
}
