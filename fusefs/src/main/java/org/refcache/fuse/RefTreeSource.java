package org.refcache.fuse;

import java.util.List;
import java.util.Optional;

/**
 * Where the FUSE view gets ref trees from. Implemented by the daemon over the {@code CacheManager}.
 *
 * <p>Called from the FUSE loop's threads, concurrently: implementations must be thread-safe. The view
 * calls {@link #open} once per ref until the lease is dropped (see {@link FuseMount#invalidate}), not
 * once per file access, so {@code open} may be slow (it may fetch a lazy layer).
 */
public interface RefTreeSource {

  /** IDs listed under {@code /refs} (live records). */
  List<String> refIds();

  /**
   * Opens the tree of ref {@code id} for serving, holding a ref handle until the lease is closed;
   * empty when the ID is unknown. May throw an unchecked exception when materializing lazy layers
   * fails (the FUSE view answers {@code EIO} for that access, logs why, and tries again on the next).
   */
  Optional<RefLease> open(String id);

  /**
   * Whether {@link #open} of {@code id} would first fetch or unpack a lazy layer (so take long),
   * without doing it; false for unknown IDs. Cheap: the view asks it when the ref's own directory
   * is looked up.
   */
  default boolean wouldUnpack(String id) {
    return false;
  }
}
