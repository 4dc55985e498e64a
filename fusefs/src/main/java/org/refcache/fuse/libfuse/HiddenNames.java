package org.refcache.fuse.libfuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.refcache.fuse.MountPath;

/**
 * libfuse 2.9's names for files unlinked while open. Without {@code hard_remove}, libfuse keeps
 * such a file reachable by renaming it to {@code .fuse_hidden<node><counter>} in its directory
 * instead of unlinking it, answers its later requests with that name, and unlinks the name when
 * the last handle is released ({@code hard_remove} would lose the file's attributes: {@code
 * fstat} fails with ENOENT). Such a name must never reach the tree: it would be listed, keep its
 * directory non-empty, and end up in a committed layer.
 *
 * <p>So the adapter takes the hiding rename as what it means, an unlink of an open file
 * ({@code ViewOperations.unlinkOpen}), and remembers here where the view keeps the file under
 * the name libfuse chose, until libfuse unlinks that name.
 */
final class HiddenNames {

  private static final String PREFIX = ".fuse_hidden";
  /** libfuse 2.9 names them {@code ".fuse_hidden%08x%08x"}. */
  private static final int NAME_LENGTH = PREFIX.length() + 16;

  private final ConcurrentMap<String, MountPath> kept = new ConcurrentHashMap<>();

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

  /** The place libfuse's path names: a kept file under a hidden name, else the parsed path. */
  MountPath place(String fusePath) {
    if (isHiddenName(fusePath)) {
      MountPath file = kept.get(fusePath);
      if (file != null) {
        return file;
      }
    }
    return MountPath.parse(fusePath);
  }

  /** libfuse now calls the file the view keeps at {@code file} {@code hiddenPath}. */
  void hide(String hiddenPath, MountPath file) {
    kept.put(hiddenPath, file);
  }

  /** libfuse unlinks {@code hiddenPath}: the view's kept file, or null if it is not one. */
  MountPath remove(String hiddenPath) {
    return isHiddenName(hiddenPath) ? kept.remove(hiddenPath) : null;
  }
}
