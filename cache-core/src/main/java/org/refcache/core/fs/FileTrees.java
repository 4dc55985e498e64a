package org.refcache.core.fs;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Whole directory trees: removing them without following symlinks, and what they take on disk.
 * Walked with {@link Posix} calls, not {@code java.nio.file}: names below are byte strings
 * ({@link org.refcache.posix.FileNames}) and paths may be longer than PATH_MAX.
 */
public final class FileTrees {
  private FileTrees() {}

  /** Removes {@code p} and, if it is a directory, everything below it; absent is fine. */
  public static void deleteRecursively(Path p) throws IOException {
    Optional<Stat> stat = lstatIfExists(p);
    if (stat.isEmpty()) {
      return;
    }
    if (stat.get().isDirectory()) {
      for (String name : listIfExists(p)) {
        deleteRecursively(p.resolve(name));
      }
    }
    try {
      Posix.delete(p);
    } catch (NoSuchFileException goneMeanwhile) {
      // removed by someone else: what was asked for
    }
  }

  /**
   * Bytes the tree takes on disk (allocated blocks, as {@code du} counts them), counting a hard-linked
   * inode once; 0 when {@code dir} is absent.
   */
  public static long diskBytes(Path dir) throws IOException {
    Set<Long> seenLinked = new HashSet<>();
    return diskBytes(dir, seenLinked);
  }

  private static long diskBytes(Path p, Set<Long> seenLinked) throws IOException {
    Optional<Stat> found = lstatIfExists(p);
    if (found.isEmpty()) {
      return 0;
    }
    Stat st = found.get();
    // Directories and single-link inodes cannot be met twice; the rest are tracked.
    long total = st.nlink() > 1 && !st.isDirectory() && !seenLinked.add(st.ino())
        ? 0 : st.blocks() * 512;
    if (st.isDirectory()) {
      for (String name : listIfExists(p)) {
        total += diskBytes(p.resolve(name), seenLinked);
      }
    }
    return total;
  }

  private static Optional<Stat> lstatIfExists(Path p) throws IOException {
    try {
      return Optional.of(Posix.lstat(p));
    } catch (NoSuchFileException absent) {
      return Optional.empty();
    }
  }

  private static java.util.List<String> listIfExists(Path dir) throws IOException {
    try {
      return Posix.list(dir);
    } catch (NoSuchFileException absent) {
      return java.util.List.of();
    }
  }
}
