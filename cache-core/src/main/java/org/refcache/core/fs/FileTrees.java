package org.refcache.core.fs;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
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

  /**
   * What the tree at {@code p} takes on disk, with its hard-linked inodes apart so that a caller
   * summing several trees can count an inode linked from two of them once; empty when absent.
   */
  public static TreeUsage usage(Path p) throws IOException {
    Optional<Stat> root = lstatIfExists(p);
    if (root.isEmpty()) {
      return TreeUsage.ABSENT;
    }
    long[] single = {0};
    Map<Long, Long> linked = new HashMap<>();
    usage(p, root.get(), single, linked);
    return new TreeUsage(true, root.get().ino(), single[0], linked);
  }

  private static void usage(Path p, Stat st, long[] single, Map<Long, Long> linked) throws IOException {
    long bytes = st.blocks() * 512;
    if (st.nlink() > 1 && !st.isDirectory()) {
      linked.put(st.ino(), bytes);
    } else {
      single[0] += bytes;
    }
    if (st.isDirectory()) {
      for (String name : listIfExists(p)) {
        Path child = p.resolve(name);
        Optional<Stat> cs = lstatIfExists(child);
        if (cs.isPresent()) {
          usage(child, cs.get(), single, linked);
        }
      }
    }
  }

  /**
   * Removes {@code p} like {@link #deleteRecursively} and returns the bytes that freed: the
   * allocated blocks of every inode whose last link it removed (each file is statted just before
   * it is unlinked, so a file linked from elsewhere counts only when its last name goes). A file
   * still open somewhere frees its blocks only when closed; it is counted here all the same.
   */
  public static long deleteCounting(Path p) throws IOException {
    Optional<Stat> stat = lstatIfExists(p);
    if (stat.isEmpty()) {
      return 0;
    }
    long freed = 0;
    if (stat.get().isDirectory()) {
      for (String name : listIfExists(p)) {
        freed += deleteCounting(p.resolve(name));
      }
    }
    Stat st = stat.get();
    if (!st.isDirectory()) {
      // Statted again: another name of the same inode may have gone since the first look.
      Optional<Stat> now = lstatIfExists(p);
      if (now.isEmpty()) {
        return freed;
      }
      st = now.get();
    }
    try {
      Posix.delete(p);
    } catch (NoSuchFileException goneMeanwhile) {
      return freed;
    }
    if (st.isDirectory() || st.nlink() <= 1) {
      freed += st.blocks() * 512;
    }
    return freed;
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
