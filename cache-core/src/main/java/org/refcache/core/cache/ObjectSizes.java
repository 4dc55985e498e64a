package org.refcache.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.fs.TreeUsage;
import org.refcache.posix.Posix;

/**
 * What each {@link DataObject} takes on disk (allocated blocks, {@link FileTrees#usage}). A tree that
 * cannot change any more (an unpacked layer, the upper of a record no mutable writes) is walked once
 * and remembered until it is removed or made again (its top inode changes); a writable upper is
 * walked every time, and a blob is one {@code lstat}. Thread-safe.
 */
final class ObjectSizes {
  private final Map<Path, TreeUsage> settled = new ConcurrentHashMap<>();

  /**
   * The usage of {@code o} now.
   *
   * @param unchanging whether no writer can change it (its walk may be remembered)
   */
  TreeUsage measure(DataObject o, boolean unchanging) {
    try {
      if (o.kind() == DataObject.Kind.BLOB || !unchanging) {
        return FileTrees.usage(o.path());
      }
      long ino;
      try {
        ino = Posix.lstat(o.path()).ino();
      } catch (NoSuchFileException e) {
        settled.remove(o.path());
        return TreeUsage.ABSENT;
      }
      TreeUsage known = settled.get(o.path());
      if (known != null && known.rootIno() == ino) {
        return known;
      }
      TreeUsage fresh = FileTrees.usage(o.path());
      if (fresh.exists()) {
        settled.put(o.path(), fresh);
      }
      return fresh;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + o.path() + ": " + e.getMessage(), e);
    }
  }

  /** Forgets {@code path} (it was removed). */
  void forget(Path path) {
    settled.remove(path);
  }
}
