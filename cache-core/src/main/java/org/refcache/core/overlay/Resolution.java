package org.refcache.core.overlay;

import java.util.List;

/**
 * A resolved path with what is needed to go one level further: for a directory, every layer's
 * directory that contributes to it, top first (the first is the node itself; the list stops at an
 * opaque directory, a whiteout or a non-directory). A non-directory has no branches.
 */
record Resolution(Node node, List<Branch> branches) {

  Resolution {
    // Found as they are needed: copying would find them all now.
    branches = branches instanceof LazyBranches ? branches : List.copyOf(branches);
  }

  boolean isDirectory() {
    return node.isDirectory();
  }

  /** Whether every contributing directory is in the upper (a lone upper directory). */
  boolean isUpperOnly() {
    return node.isUpper() && branches.size() <= 1;
  }

  /** Whether the writable upper contributes to this directory's children. */
  boolean hasUpperBranch() {
    for (Branch branch : branches) {
      if (branch.layerIndex() == Node.UPPER) {
        return true;
      }
    }
    return false;
  }

  /** Whether a lower layer contributes to this directory's children. */
  boolean hasLowerBranches() {
    for (Branch branch : branches) {
      if (branch.layerIndex() != Node.UPPER) {
        return true;
      }
    }
    return false;
  }
}
