package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * How a {@link WritableOverlayTree} resolves a path: the read-only layers' resolution (cached by
 * the tree, {@link OverlayTree#lookupLayers}) with the upper on top. Per component, the upper
 * entry if any, then the lowers while the upper has not cut them off (a whiteout, an opaque
 * directory, or a directory over a lower non-directory). The upper's directories on the way are
 * known from earlier lookups ({@link UpperDirectories}) once seen, so a lookup costs one
 * {@code lstat} in the upper, of its last component, whose attributes are the answer (they change:
 * never cached here). An upper entry reports the inode number {@link OriginInodes} gives it.
 */
final class MergedLookup {

  private final OverlayTree tree;
  private final Path upper;
  private final OriginInodes inodes;
  private final OpaqueUpperDirectories opaque;
  private final UpperDirectories directories;

  MergedLookup(OverlayTree tree, Path upper, OriginInodes inodes, OpaqueUpperDirectories opaque,
               UpperDirectories directories) {
    this.opaque = opaque;
    this.directories = directories;
    this.tree = tree;
    this.upper = upper;
    this.inodes = inodes;
  }

  Optional<Resolution> lookup(String path) throws IOException {
    Path upperDir = upper;
    Stat upperStat = null;
    Optional<Resolution> lower = tree.lookupLayers(TreePath.ROOT);
    boolean lowersContribute = lower.isPresent();
    int start = 0;
    while (!path.isEmpty()) {
      int slash = path.indexOf('/', start);
      boolean last = slash < 0;
      int end = last ? path.length() : slash;
      String name = path.substring(start, end);
      if (upperDir != null && !last && directories.isDirectory(path.substring(0, end))) {
        // Known to be an upper directory: no lstat (only the last component's attributes count).
        upperDir = upperDir.resolve(name);
        if (lowersContribute && tree.lookupLayers(path.substring(0, end)).isPresent()
            && opaque.isOpaque(path.substring(0, end), upperDir)) {
          lowersContribute = false;
        }
      } else if (upperDir != null) {
        Path candidate = upperDir.resolve(name);
        Optional<Stat> found = LayerFiles.lstatIfExists(candidate);
        if (found.isEmpty()) {
          upperDir = null;
        } else if (OverlayFormat.isWhiteout(found.get())) {
          return Optional.empty();
        } else if (!found.get().isDirectory()) {
          return last
              ? Optional.of(new Resolution(upperNode(path, candidate, found.get()), List.of()))
              : Optional.empty();
        } else {
          upperDir = candidate;
          upperStat = found.get();
          directories.add(path.substring(0, end));
          // Opaque matters only where a lower layer has the directory too (the lowers'
          // resolutions are cached; the xattr read is a system call on every lookup).
          if (lowersContribute && tree.lookupLayers(path.substring(0, end)).isPresent()
              && opaque.isOpaque(path.substring(0, end), candidate)) {
            lowersContribute = false;
          }
        }
      }
      if (lowersContribute) {
        lower = tree.lookupLayers(path.substring(0, end));
        if (lower.isEmpty()) {
          lowersContribute = false;
        } else if (!lower.get().isDirectory()) {
          if (upperDir != null) {
            lowersContribute = false;
          } else if (!last) {
            return Optional.empty();
          }
        }
      }
      if (upperDir == null && !lowersContribute) {
        return Optional.empty();
      }
      if (last) {
        break;
      }
      start = slash + 1;
    }
    if (upperDir == null) {
      return lower;
    }
    if (upperStat == null) {
      upperStat = Posix.lstat(upper);
    }
    List<Branch> branches = new ArrayList<>();
    branches.add(new Branch(Node.UPPER, upperDir));
    if (lowersContribute) {
      branches.addAll(lower.get().branches());
    }
    return Optional.of(new Resolution(upperNode(path, upperDir, upperStat), branches));
  }

  /** The node of the upper entry {@code real} at {@code path}, {@code stat} its lstat. */
  private Node upperNode(String path, Path real, Stat stat) throws IOException {
    return new Node(path, real, Node.UPPER, stat, inodes.ofUpper(path, real, stat));
  }
}
