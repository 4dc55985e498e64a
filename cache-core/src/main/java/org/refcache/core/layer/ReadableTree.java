package org.refcache.core.layer;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A directory tree as a layer writer reads it: what is at a path, and what a directory holds.
 * Paths are relative to the tree's root ({@code ""} is the root), components joined with
 * {@code /}, and byte strings ({@link org.refcache.posix.FileNames}). A tree need not be one
 * directory on disk: a union of layers answers each path with the real file that holds it.
 *
 * <p>The writer reads an entry's content, symlink target and extended attributes from its
 * {@link Entry#real() real file}, through {@link Posix}; it ignores overlay's own xattrs
 * ({@code trusted.overlay.*}, {@code user.overlay.*}), so a layer directory can be read as it is.
 */
public interface ReadableTree {
  /** The tree with nothing in it but its root (the upper of a diff against scratch). */
  ReadableTree EMPTY = new ReadableTree() {
    @Override
    public Optional<Entry> entry(String path) {
      return Optional.empty();
    }

    @Override
    public List<String> list(String dir) {
      return List.of();
    }

    @Override
    public String toString() {
      return "the empty tree";
    }
  };

  /**
   * What answers for one path.
   *
   * @param real the real file: its content, link target and xattrs are the entry's
   * @param stat its {@code lstat}
   */
  record Entry(Path real, Stat stat) {
    public Entry {
      Objects.requireNonNull(real, "real");
      Objects.requireNonNull(stat, "stat");
    }
  }

  /** The entry at {@code path}, or empty when the tree has nothing there. */
  Optional<Entry> entry(String path) throws IOException;

  /** The names in the directory {@code dir} (one this tree has), in any order. */
  List<String> list(String dir) throws IOException;

  /** The plain directory {@code root} (an ASCII path) and everything below it, as it is on disk. */
  static ReadableTree directory(Path root) {
    Objects.requireNonNull(root, "root");
    return new ReadableTree() {
      private Path real(String path) {
        return path.isEmpty() ? root : root.resolve(path);
      }

      @Override
      public Optional<Entry> entry(String path) throws IOException {
        Path real = real(path);
        try {
          return Optional.of(new Entry(real, Posix.lstat(real)));
        } catch (NoSuchFileException absent) {
          return Optional.empty();
        }
      }

      @Override
      public List<String> list(String dir) throws IOException {
        return Posix.list(real(dir));
      }

      @Override
      public String toString() {
        return root.toString();
      }
    };
  }
}
