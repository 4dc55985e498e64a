package org.refcache.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.refcache.posix.Descriptors;

/**
 * Files unlinked while open. Their name leaves the tree at once (a kept name would be listed,
 * keep its directory non-empty and end up in a committed layer), and the file stays reachable
 * through a descriptor held here ({@code O_PATH}, it only names the inode) under a place of its
 * own ({@link MountPath.Kind#UNLINKED}), which answers getattr, chmod and utimens until the last
 * open file is released ({@link ViewOperations#forgetUnlinked}). Its data is reached through its
 * open handles, as before.
 */
final class UnlinkedFiles implements AutoCloseable {

  static final int O_PATH = 010000000;

  /**
   * One kept file: its descriptor, whether it is a lower layer's file, and the inode number its
   * tree showed for it (a copy's is its original's, which the descriptor's file does not know).
   */
  private record Kept(int fd, boolean ofLowerLayer, long ino) {
  }

  private final AtomicLong nextId = new AtomicLong(1);
  private final ConcurrentMap<Long, Kept> kept = new ConcurrentHashMap<>();

  /**
   * Keeps {@code fd} (owned from now on), a file of ref {@code refId} that was just unlinked.
   *
   * @param ofLowerLayer whether it is a lower layer's file, which stays linked in its layer: its
   *                     link count is one less than the layer's, and it must not change
   * @param ino          the inode number its tree showed for it ({@code Node.ino}), which it
   *                     keeps, as an unlinked file keeps its number on ext4
   * @return where the file is reachable from now on
   */
  MountPath keep(String refId, int fd, boolean ofLowerLayer, long ino) {
    long id = nextId.getAndIncrement();
    kept.put(id, new Kept(fd, ofLowerLayer, ino));
    return MountPath.unlinked(refId, id);
  }

  /** The descriptor of unlinked file {@code at}, or -1. */
  int descriptor(MountPath at) {
    Kept file = kept.get(at.unlinked());
    return file == null ? -1 : file.fd();
  }

  /** The inode number unlinked file {@code at} shows, or -1 if it is not kept. */
  long ino(MountPath at) {
    Kept file = kept.get(at.unlinked());
    return file == null ? -1 : file.ino();
  }

  /** Whether unlinked file {@code at} is a lower layer's. */
  boolean isLower(MountPath at) {
    Kept file = kept.get(at.unlinked());
    return file != null && file.ofLowerLayer();
  }

  /** Lets unlinked file {@code at} go; false if it was not kept. */
  boolean forget(MountPath at) {
    Kept file = kept.remove(at.unlinked());
    if (file == null) {
      return false;
    }
    Descriptors.close(file.fd());
    return true;
  }

  /** The path naming the kept file through its descriptor (follows to the file). */
  static String procPath(int fd) {
    return "/proc/self/fd/" + fd;
  }

  int size() {
    return kept.size();
  }

  @Override
  public void close() {
    for (Long id : kept.keySet()) {
      Kept file = kept.remove(id);
      if (file != null) {
        Descriptors.close(file.fd());
      }
    }
  }
}
