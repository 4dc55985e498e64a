package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * The inode numbers a union reports ({@code st_ino}, {@code d_ino}). A copy-up makes a new file,
 * yet the number must not change (it does not on ext4, and overlayfs keeps it through its origin):
 * the copy records the number of the file it was copied from
 * ({@link OverlayFormat#ORIGIN_INO_XATTR}, {@code "<dev>:<ino>"}) and reports that number from then
 * on: in the writable tree that made it, in a new tree over the same upper (after a restart), and
 * in a read-only tree in which the upper is a layer (after a commit). A copy of an entry that
 * itself reports a recorded number records that number, so the original's number carries through
 * any number of copies. Every name of a hard-linked copy reports the same number (they are one
 * file with one attribute). An entry without a record, or with one of another filesystem or
 * malformed, reports its own number.
 *
 * <p>Only layers whose root carries {@link OverlayFormat#ORIGINS_XATTR} are read for origins
 * (an upper gets it before its first record), so that the layers unpacked from tarballs, which
 * never hold one (the unpacker drops {@code trusted.overlay.*}), cost nothing more. An upper is
 * always read (it is written here; one written before the marker existed shows its records while
 * it is writable, and in read-only trees once a copy-up has marked it).
 *
 * <p>Why the number is unique in a tree: upper and layers share one filesystem, and the file a
 * recorded number belongs to stays allocated in its layer, hidden by its copy wherever the union
 * could show it (its other names in the layer are linked to the copy at copy-up). That holds for
 * a tree whose layers are one chain, each above the layers it was copied from. A merge can stack a
 * layer above a copy of one of its files (each layer once, where highest); the layers of such a
 * tree say so ({@link TreeLayer#showsOrigins}), and their copies report their own numbers there.
 *
 * <p>An instance belongs to one writable tree and remembers, per union path of an upper entry, the
 * number it reports, since the upper changes and is not in the resolution cache: filled at copy-up
 * and creation (under the tree's write lock) and on the first resolution of a path (under its read
 * lock, racing only with other readers, who find the same value); the entries of paths whose file
 * changes (unlink, rmdir, rename) are dropped under the write lock. Sorted, so that a directory's
 * subtree is one range.
 */
final class OriginInodes {

  /** Remembered for an upper entry that reports its own number. */
  private static final long OWN = -1;

  private final ConcurrentSkipListMap<String, Long> byPath = new ConcurrentSkipListMap<>();
  /** {@code st_dev} of the upper. */
  private final long upperDev;

  OriginInodes(long upperDev) {
    this.upperDev = upperDev;
  }

  /**
   * Whether {@code layer} (a layer or upper directory) may hold copies that carry an origin: its
   * root says so ({@link OverlayFormat#ORIGINS_XATTR}), set by {@link #markOrigins} before the
   * first one is made there.
   */
  static boolean mayHoldOrigins(Path layer) throws IOException {
    return Xattrs.lgetxattr(layer, OverlayFormat.ORIGINS_XATTR).isPresent();
  }

  /** Marks {@code upper} as holding copies that carry an origin (see {@link #mayHoldOrigins}). */
  static void markOrigins(Path upper) throws IOException {
    Xattrs.lsetxattr(upper, OverlayFormat.ORIGINS_XATTR, new byte[] {'y'}, 0);
  }

  /**
   * The number the union reports for the real file {@code real}, of which {@code stat} is the
   * {@code lstat}: its recorded origin's, or its own. One {@code getxattr}.
   */
  static long read(Path real, Stat stat) throws IOException {
    long origin = origin(real, stat.dev());
    return origin == OWN ? stat.ino() : origin;
  }

  /**
   * Records on {@code copy} (not yet published) that it stands for a file of filesystem
   * {@code dev} that reports {@code ino}.
   */
  static void record(Path copy, long dev, long ino) throws IOException {
    byte[] value = (Long.toUnsignedString(dev) + ":" + Long.toUnsignedString(ino))
        .getBytes(StandardCharsets.US_ASCII);
    Xattrs.lsetxattr(copy, OverlayFormat.ORIGIN_INO_XATTR, value, 0);
  }

  /** The origin recorded on {@code real} if it is of filesystem {@code dev}, else {@link #OWN}. */
  private static long origin(Path real, long dev) throws IOException {
    Optional<byte[]> value = Xattrs.lgetxattr(real, OverlayFormat.ORIGIN_INO_XATTR);
    if (value.isEmpty()) {
      return OWN;
    }
    String text = new String(value.get(), StandardCharsets.US_ASCII);
    int colon = text.indexOf(':');
    try {
      long recordedDev = Long.parseUnsignedLong(text.substring(0, colon));
      long ino = Long.parseUnsignedLong(text.substring(colon + 1));
      return recordedDev == dev && ino != OWN ? ino : OWN;
    } catch (NumberFormatException | IndexOutOfBoundsException malformed) {
      return OWN;
    }
  }

  /**
   * The number the upper entry at union path {@code path} reports; {@code real} is its file and
   * {@code stat} that file's {@code lstat}. A map lookup, but for the first time a path is asked
   * that this tree neither copied up nor created (after a restart): then one {@code getxattr}.
   */
  long ofUpper(String path, Path real, Stat stat) throws IOException {
    Long known = byPath.get(path);
    if (known == null) {
      known = origin(real, stat.dev());
      byPath.put(path, known);
    }
    return known == OWN ? stat.ino() : known;
  }

  /**
   * The number a copy of the lower entry {@code lower} records and reports: the one {@code lower}
   * reports, unless it lives on another filesystem than the upper (then the copy's own).
   */
  long copyOf(Node lower) {
    return lower.stat().dev() == upperDev ? lower.ino() : OWN;
  }

  /** {@code path} now names a copy of {@code lower} (see {@link #copyOf}). */
  void copied(String path, Node lower) {
    byPath.put(path, copyOf(lower));
  }

  /** {@code path} now names a file made in the upper, which reports its own number. */
  void made(String path) {
    byPath.put(path, OWN);
  }

  /** {@code newPath} is now another name of the upper file at {@code existing}. */
  void linked(String existing, String newPath) {
    Long known = byPath.get(existing);
    if (known != null) {
      byPath.put(newPath, known);
    } else {
      byPath.remove(newPath); // read from the shared attribute when asked
    }
  }

  /** Forgets {@code path} and everything below it. */
  void forget(String path) {
    if (path.isEmpty()) {
      byPath.clear();
      return;
    }
    byPath.remove(path);
    // '0' follows '/': the range holds exactly the paths below "path/".
    byPath.subMap(path + "/", true, path + "0", false).clear();
  }
}
