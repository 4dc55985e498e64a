package org.refcache.core.cache;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.refcache.core.overlay.DirEntry;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Posix;

/**
 * Refs made in the tests by editing a mutable's tree and committing it (each commit is one layer in
 * overlay form: whiteouts for deletions, opaque directories for a directory made again), and what
 * a ref's tree shows.
 */
final class TreeRefs {
  private TreeRefs() {}

  /** Changes to a tree. */
  @FunctionalInterface
  interface Edit {
    void apply(WritableOverlayTree t) throws IOException;
  }

  /** A fixed time with nanoseconds, {@code n} seconds after an epoch of the tests. */
  static Instant time(int n) {
    return Instant.parse("2010-01-01T00:00:00Z").plusSeconds(n).plusNanos(n * 1001L);
  }

  /** A new finalized layer on {@code parent} (null = scratch) made by {@code edit}; the caller releases it. */
  static ImmutableRef layer(CacheManager cm, ImmutableRef parent, Edit edit) throws IOException {
    MutableRef m = cm.newRef(parent);
    try {
      edit.apply((WritableOverlayTree) m.mount(false));
    } catch (IOException | RuntimeException e) {
      m.release();
      throw e;
    }
    ImmutableRef c = m.commit();
    c.finalizeRef();
    return c;
  }

  /** Writes a regular file with {@code content}, mode 0644, owner root, mtime {@code time(tick)}. */
  static void file(WritableOverlayTree t, String path, String content, int tick) throws IOException {
    file(t, path, content, 0644, 0, 0, tick);
  }

  static void file(WritableOverlayTree t, String path, String content, int mode, int uid, int gid, int tick)
      throws IOException {
    Files.writeString(t.createFile(path, mode, uid, gid, false), content);
    t.chmod(path, mode);
    t.utimens(path, time(tick), time(tick));
  }

  static void dir(WritableOverlayTree t, String path, int mode, int tick) throws IOException {
    if (t.resolve(path).isEmpty()) {
      t.mkdir(path, mode, 0, 0);
    }
    t.chmod(path, mode);
    t.utimens(path, time(tick), time(tick));
  }

  /** The content of the regular file at {@code path}, or null when nothing is there. */
  static String read(OverlayTree t, String path) throws IOException {
    Optional<Node> n = t.resolve(path);
    return n.isEmpty() ? null : Files.readString(n.get().real(), StandardCharsets.UTF_8);
  }

  /** Every path of the tree (root excluded) with its type and content: what a walk of it shows. */
  static TreeMap<String, String> walk(OverlayTree t) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    walk(t, "", out);
    return out;
  }

  private static void walk(OverlayTree t, String dir, TreeMap<String, String> out) throws IOException {
    for (DirEntry e : t.list(dir)) {
      String path = dir.isEmpty() ? e.name() : dir + "/" + e.name();
      Node n = t.resolve(path).orElseThrow(() -> new AssertionError("listed but absent: " + path));
      switch (n.type()) {
        case Posix.S_IFDIR -> {
          out.put(path, "dir " + Integer.toOctalString(n.stat().permissions()));
          walk(t, path, out);
        }
        case Posix.S_IFREG -> out.put(path, "file " + Files.readString(n.real(), StandardCharsets.UTF_8));
        case Posix.S_IFLNK -> out.put(path, "link " + Posix.readlink(n.real()));
        default -> out.put(path, "type 0" + Integer.toOctalString(n.type()));
      }
    }
  }

  /** The entries of a listing, by name. */
  static List<String> names(OverlayTree t, String dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (DirEntry e : t.list(dir)) {
      out.add(e.name());
    }
    return out;
  }
}
