package org.refcache.core.overlay;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where the entries of a {@link Branch} come from when its layer is not simply a directory on
 * disk. It answers as an overlay-upper directory on disk would: an entry per name (a deletion as a
 * whiteout), the names it holds, whether it is opaque.
 */
interface BranchSource {

  /** The entry {@code name} of the directory {@code dir}, or empty when the layer has none. */
  Optional<Branch.Entry> child(Branch dir, String name) throws IOException;

  /** The names of the directory {@code dir}; a name may still have no {@link #child}. */
  List<String> names(Branch dir) throws IOException;

  /** The branch of the directory {@code entry}, found as {@code name} in {@code dir}. */
  Branch descend(Branch dir, String name, Branch.Entry entry);

  /** Whether the directory {@code dir} hides the directories below it. */
  boolean isOpaque(Branch dir) throws IOException;

  /** The directory {@code dir} itself: what a layer's root shows. */
  Branch.Entry itself(Branch dir) throws IOException;

  /** Whether reading it needs no layer to be unpacked first. */
  boolean isReady();
}
