package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.refcache.posix.Descriptors;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The changes between two trees (see {@link LayerChanges#diff}), found by walking both at once,
 * directory by directory, names in byte order:
 * <ul>
 *   <li>only in upper: added (a directory with everything in it);</li>
 *   <li>only in lower: a whiteout;</li>
 *   <li>in both, the same non-directory (same device and inode): unchanged, not read. A
 *       directory is compared and walked all the same: a union shows a merged directory through
 *       its topmost real directory, which two unions of different layers can share while the
 *       layers below add different children;</li>
 *   <li>in both, directories: the directory is written if its own metadata changed, and the walk
 *       goes on inside it;</li>
 *   <li>in both, a directory replacing a non-directory: written whole, as an add; a non-directory
 *       replacing anything: written;</li>
 *   <li>in both, non-directories of the same type: written if the permission bits, owner, mtime
 *       (to the nanosecond), xattrs, device number, symlink target, size or, all those being
 *       equal, the content differ.</li>
 * </ul>
 * Every directory holding a change is written before it, with the upper's metadata, even if its
 * own did not change: an unpacker would otherwise create it with default metadata, which in
 * overlay form would hide the lower directory's. Opaque markers are never written: a directory
 * whose content was replaced shows as whiteouts for what went and adds for what came.
 */
final class TreeDiff extends LayerChanges {
  private static final int COMPARE_BUFFER = 64 * 1024;

  private final ReadableTree lower;
  private final ReadableTree upper;

  private static final class Pending {
    final String path;
    final ReadableTree.Entry entry;
    boolean written;

    Pending(String path, ReadableTree.Entry entry) {
      this.path = path;
      this.entry = entry;
    }
  }

  TreeDiff(ReadableTree lower, ReadableTree upper) {
    this.lower = lower;
    this.upper = upper;
  }

  @Override
  void writeTo(EntryWriter out) throws IOException {
    new Walk(out).run();
  }

  /** One write of the changes (a {@code TreeDiff} may be written more than once). */
  private final class Walk {
    private final EntryWriter out;
    /** Directories entered whose entry is not written yet, outermost first. */
    private final Deque<Pending> pending = new ArrayDeque<>();
    private byte[] left;
    private byte[] right;

    Walk(EntryWriter out) {
      this.out = out;
    }

    void run() throws IOException {
      Optional<ReadableTree.Entry> upperRoot = upper.entry("");
      Optional<ReadableTree.Entry> lowerRoot = lower.entry("");
      if (upperRoot.isPresent() && !upperRoot.get().stat().isDirectory()) {
        throw new NotDirectoryException(upper.toString());
      }
      if (lowerRoot.isPresent() && !lowerRoot.get().stat().isDirectory()) {
        throw new NotDirectoryException(lower.toString());
      }
      walk("", lowerRoot.isPresent(), upperRoot.isPresent());
    }

    /** Compares the directory {@code dir} of both trees (absent on a side when its flag is false). */
    private void walk(String dir, boolean inLower, boolean inUpper) throws IOException {
      Set<String> lowerNames = inLower ? new HashSet<>(lower.list(dir)) : Set.of();
      Set<String> upperNames = inUpper ? new HashSet<>(upper.list(dir)) : Set.of();
      TreeSet<String> names = new TreeSet<>(lowerNames);
      names.addAll(upperNames);
      for (String name : names) {
        String path = EntryWriter.child(dir, name);
        Optional<ReadableTree.Entry> u = upperNames.contains(name) ? upper.entry(path)
            : Optional.empty();
        Optional<ReadableTree.Entry> l = lowerNames.contains(name) ? lower.entry(path)
            : Optional.empty();
        if (u.isEmpty()) {
          if (l.isPresent()) {
            requireRepresentable(path, name);
            writePending();
            out.whiteout(dir, name);
          }
          continue;
        }
        ReadableTree.Entry up = u.get();
        boolean upperIsDir = up.stat().isDirectory();
        if (l.isEmpty() || upperIsDir != l.get().stat().isDirectory()) {
          requireRepresentable(path, name);
          writePending();
          if (upperIsDir) {
            out.directory(path, up);
            walk(path, false, true); // an add: nothing of lower's is below it
          } else {
            out.nonDirectory(path, up);
          }
          continue;
        }
        ReadableTree.Entry low = l.get();
        if (upperIsDir) {
          Pending p = new Pending(path, up);
          pending.addLast(p);
          if (!sameMetadata(low, up)) {
            requireRepresentable(path, name);
            writePending();
          }
          walk(path, true, true);
          pending.removeLast();
        } else if (!sameFile(low.stat(), up.stat())
            && (!sameMetadata(low, up) || !sameContent(low, up))) {
          requireRepresentable(path, name);
          writePending();
          out.nonDirectory(path, up);
        }
      }
    }

    /** Writes the entries of the directories that hold the change about to be written. */
    private void writePending() throws IOException {
      for (Pending p : pending) {
        if (!p.written) {
          out.directory(p.path, p.entry);
          p.written = true;
        }
      }
    }

    /**
     * Whether two regular files of the same size hold the same bytes (other types have no content
     * beyond their metadata). Read only when everything else is equal: a build that resets mtimes
     * (SOURCE_DATE_EPOCH) changes files without changing their metadata.
     */
    private boolean sameContent(ReadableTree.Entry a, ReadableTree.Entry b) throws IOException {
      if (!a.stat().isRegularFile() || a.stat().size() == 0) {
        return true;
      }
      if (left == null) {
        left = new byte[COMPARE_BUFFER];
        right = new byte[COMPARE_BUFFER];
      }
      int fa = open(a);
      try {
        int fb = open(b);
        try (InputStream x = stream(fa); InputStream y = stream(fb)) {
          while (true) {
            int n = x.readNBytes(left, 0, left.length);
            int m = y.readNBytes(right, 0, n == 0 ? 1 : n);
            if (n != m || !Arrays.equals(left, 0, n, right, 0, m)) {
              return false;
            }
            if (n == 0) {
              return true;
            }
          }
        } finally {
          Descriptors.close(fb);
        }
      } finally {
        Descriptors.close(fa);
      }
    }
  }

  private static void requireRepresentable(String path, String name)
      throws UnrepresentableEntryException {
    if (name.startsWith(OverlayFormat.WHITEOUT_PREFIX)) {
      throw new UnrepresentableEntryException(FileNames.toText(path), "a name beginning with "
          + OverlayFormat.WHITEOUT_PREFIX + " cannot be written to a layer: readers take it for"
          + " a whiteout");
    }
  }

  private static boolean sameFile(Stat a, Stat b) {
    return a.dev() == b.dev() && a.ino() == b.ino();
  }

  /** Everything a layer keeps of a file but the content of a regular file. */
  private static boolean sameMetadata(ReadableTree.Entry a, ReadableTree.Entry b)
      throws IOException {
    Stat x = a.stat();
    Stat y = b.stat();
    if (x.mode() != y.mode() || x.uid() != y.uid() || x.gid() != y.gid()
        || !x.mtime().equals(y.mtime())) {
      return false;
    }
    if ((x.isCharDevice() || x.isBlockDevice()) && x.rdev() != y.rdev()) {
      return false;
    }
    if (x.isRegularFile() && x.size() != y.size()) {
      return false;
    }
    if (x.isSymlink() && !Posix.readlink(a.real()).equals(Posix.readlink(b.real()))) {
      return false;
    }
    return sameXattrs(EntryWriter.xattrs(a.real()), EntryWriter.xattrs(b.real()));
  }

  private static boolean sameXattrs(Map<String, byte[]> a, Map<String, byte[]> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      if (!Arrays.equals(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static int open(ReadableTree.Entry e) throws IOException {
    return Descriptors.open(e.real(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
  }

  private static InputStream stream(int fd) throws IOException {
    return Channels.newInputStream(FileChannel.open(Path.of("/proc/self/fd/" + fd),
        StandardOpenOption.READ));
  }
}
