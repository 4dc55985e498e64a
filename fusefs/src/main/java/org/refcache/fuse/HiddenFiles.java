package org.refcache.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.refcache.posix.Posix;

/**
 * Files unlinked while open. libfuse 2.9 keeps such a file reachable by renaming it to
 * {@code .fuse_hidden<node><counter>} instead of unlinking it, and unlinks that name when the last
 * handle is released; its alternative, {@code hard_remove}, loses the file's attributes
 * ({@code fstat} fails with ENOENT). Neither may reach the tree: a hidden name would be listed,
 * keep its directory non-empty, and end up in a committed layer.
 *
 * <p>So the view takes the hiding rename as what it means: the name is unlinked from the tree at
 * once, and the file stays reachable under the hidden name through a descriptor held here
 * ({@code O_PATH}, it only names the inode), which answers getattr (and chmod and utimens) until
 * libfuse unlinks the hidden name.
 */
final class HiddenFiles implements AutoCloseable {

  private static final String PREFIX = ".fuse_hidden";
  /** libfuse 2.9 names them {@code ".fuse_hidden%08x%08x"}. */
  private static final int NAME_LENGTH = PREFIX.length() + 16;
  static final int O_PATH = 010000000;

  private final ConcurrentMap<String, Integer> descriptors = new ConcurrentHashMap<>();
  /** Hidden files that are files of a lower layer (never to be changed through their descriptor). */
  private final java.util.Set<String> lower = ConcurrentHashMap.newKeySet();

  /** Whether the last component of {@code fusePath} is a name libfuse hides open files under. */
  static boolean isHiddenName(String fusePath) {
    int start = fusePath.lastIndexOf('/') + 1;
    if (fusePath.length() - start != NAME_LENGTH || !fusePath.startsWith(PREFIX, start)) {
      return false;
    }
    for (int i = start + PREFIX.length(); i < fusePath.length(); i++) {
      char c = fusePath.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Keeps {@code fd} (owned from now on) as the file hidden under {@code fusePath}.
   *
   * @param ofLowerLayer whether it is a lower layer's file, which stays linked in its layer: its
   *                     link count is one less than the layer's, and it must not change
   */
  void hide(String fusePath, int fd, boolean ofLowerLayer) {
    if (ofLowerLayer) {
      lower.add(fusePath);
    } else {
      lower.remove(fusePath);
    }
    Integer previous = descriptors.put(fusePath, fd);
    if (previous != null) {
      Posix.close(previous);
    }
  }

  /** The descriptor of the file hidden under {@code fusePath}, or -1. */
  int descriptor(String fusePath) {
    Integer fd = descriptors.get(fusePath);
    return fd == null ? -1 : fd;
  }

  /** Whether the file hidden under {@code fusePath} is a lower layer's. */
  boolean isLower(String fusePath) {
    return lower.contains(fusePath);
  }

  /** Forgets the file hidden under {@code fusePath}; false if there is none. */
  boolean unlink(String fusePath) {
    lower.remove(fusePath);
    Integer fd = descriptors.remove(fusePath);
    if (fd == null) {
      return false;
    }
    Posix.close(fd);
    return true;
  }

  /** The path naming the hidden file through its descriptor (follows to the file). */
  static String procPath(int fd) {
    return "/proc/self/fd/" + fd;
  }

  int size() {
    return descriptors.size();
  }

  @Override
  public void close() {
    for (String path : descriptors.keySet()) {
      unlink(path);
    }
  }
}
