package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether each upper directory of a {@link WritableOverlayTree} that merges with a lower one is
 * opaque, by tree path: its xattr read once (a system call on every lookup otherwise), then
 * remembered until the tree forgets everything after a mutation that can move, remove or make
 * opaque a directory (rename, rmdir, mkdir). Nothing else changes it: the tree is the upper's only
 * writer and refuses overlay's own xattrs to callers. Used under the tree's read or write lock, so
 * no mutation runs while an answer is read and remembered. Bounded: full, it starts over.
 */
final class OpaqueUpperDirectories {

  private static final int CAPACITY = 1 << 16;

  private final ConcurrentHashMap<String, Boolean> known = new ConcurrentHashMap<>();

  /** Whether upper directory {@code real}, at tree path {@code path}, is opaque. */
  boolean isOpaque(String path, Path real) throws IOException {
    Boolean answer = known.get(path);
    if (answer != null) {
      return answer;
    }
    boolean opaque = LayerFiles.isOpaque(real);
    if (known.size() >= CAPACITY) {
      known.clear();
    }
    known.put(path, opaque);
    return opaque;
  }

  /** Forgets every answer: directories may have moved, gone or become opaque. */
  void forgetAll() {
    known.clear();
  }
}
