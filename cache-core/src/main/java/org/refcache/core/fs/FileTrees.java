package org.refcache.core.fs;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/** Whole directory trees: removing them without following symlinks, and what they take on disk. */
public final class FileTrees {
  private FileTrees() {}

  /** Removes {@code p} and, if it is a directory, everything below it; absent is fine. */
  public static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    // walkFileTree does not follow symlinks unless asked to: a symlink is removed, not its target.
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
        if (failure != null && !(failure instanceof NoSuchFileException)) {
          throw failure;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
        if (failure instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw failure;
      }
    });
  }

  /**
   * Bytes the tree takes on disk (allocated blocks, as {@code du} counts them), counting a hard-linked
   * inode once; 0 when {@code dir} is absent.
   */
  public static long diskBytes(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    Set<Long> seenLinked = new HashSet<>();
    long[] total = {0};
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        count(d);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        count(file);
        return FileVisitResult.CONTINUE;
      }

      private void count(Path p) throws IOException {
        Stat st = Posix.lstat(p);
        // Directories and single-link inodes cannot be met twice; the rest are tracked.
        if (st.nlink() > 1 && !st.isDirectory() && !seenLinked.add(st.ino())) {
          return;
        }
        total[0] += st.blocks() * 512;
      }
    });
    return total[0];
  }
}
