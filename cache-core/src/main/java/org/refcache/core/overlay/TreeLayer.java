package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One read-only layer of a union ({@link OverlayTree#of}, {@link WritableOverlayTree#over}), in
 * overlay-upper form: its entries hide those of the layers below, a whiteout deletes a name below,
 * an opaque directory hides the directories below it.
 */
public sealed interface TreeLayer {

  /**
   * The directory that answers for this layer's root (a view's capacity comes from its
   * filesystem; the root's attributes are read from it when this is the top layer).
   */
  Path dir();

  /**
   * Whether the copies in this layer report the inode numbers of the files they were copied from
   * ({@link OriginInodes}), so that a file keeps its number through copy-up and commit. Not where
   * one of those files may show in the same union too: a merge stacks each layer once, where it
   * is highest, so a layer that an input's committed upper was copied from can stand above that
   * upper, and a file and its copy would then be two files with one number. A lazy layer, unpacked
   * from a blob, holds no copies.
   */
  default boolean showsOrigins() {
    return false;
  }

  /**
   * An unpacked layer or a committed upper: a directory on disk that never changes.
   *
   * @param showsOrigins whether its copies report the inode numbers of the files they were copied
   *     from ({@link OriginInodes}); false where a file they were copied from may show in the same
   *     union (see {@link #showsOrigins()})
   */
  record Directory(Path dir, boolean showsOrigins) implements TreeLayer {
    public Directory {
      Objects.requireNonNull(dir, "dir");
    }

    /** A directory whose copies report their origins' numbers. */
    public Directory(Path dir) {
      this(dir, true);
    }
  }

  /**
   * A layer whose directory {@code dir} is made (a blob fetched and unpacked) by {@code unpack}
   * when a lookup or listing first needs to read it: a lookup answered by the layers above it
   * never does. {@code unpack} may be called by several threads at once and again after a
   * failure, which it throws for the access that needed the layer (with the errno the access
   * should answer, as a {@link org.refcache.posix.NativeException}).
   */
  record Lazy(Path dir, Unpack unpack) implements TreeLayer {
    public Lazy {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(unpack, "unpack");
    }
  }

  /** Makes a lazy layer's directory. */
  @FunctionalInterface
  interface Unpack {
    void run() throws IOException;
  }

  /**
   * The changes that turn {@code lower}'s tree into {@code upper}'s (spec 5.2), as a layer: what
   * upper adds or changes (content, type, mode, owner, mtime, xattrs, device number, link target),
   * with the directories that hold it, served from upper's own files; and a whiteout for each name
   * lower has and upper has not. Worked out path by path as lookups and listings reach it, by
   * comparing the two trees; nothing is copied. Standing alone, it shows what was added and changed
   * (whiteouts hide nothing there); over other layers, its deletions delete.
   *
   * @param lower the tree changed from; must never change
   * @param upper the tree changed to; must never change
   * @param showsOrigins as {@link Directory#showsOrigins}, for the copies among upper's files
   */
  record Changes(OverlayTree lower, OverlayTree upper, boolean showsOrigins) implements TreeLayer {
    public Changes {
      Objects.requireNonNull(lower, "lower");
      Objects.requireNonNull(upper, "upper");
      if (upper.layers().isEmpty()) {
        throw new IllegalArgumentException("the upper of a change set needs a root directory");
      }
    }

    /** A change set whose copies report their origins' numbers. */
    public Changes(OverlayTree lower, OverlayTree upper) {
      this(lower, upper, true);
    }

    @Override
    public Path dir() {
      return upper.layers().get(0);
    }
  }

  /** Plain directories, in the same order. */
  static List<TreeLayer> directories(List<Path> dirs) {
    List<TreeLayer> out = new ArrayList<>(dirs.size());
    for (Path d : dirs) {
      out.add(new Directory(d));
    }
    return out;
  }
}
