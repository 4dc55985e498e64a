package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.refcache.posix.Descriptors;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns files of a {@link ReadableTree} into tar entries: reads their metadata, content, link
 * targets and extended attributes (through {@link Posix}: names are byte strings), and writes the
 * second and later names of a hard-linked file as links to the first name this tar has.
 * Whiteouts and opaque markers are written as the OCI spells them.
 *
 * <p>What a layer keeps of a file: type, permission bits (setuid, setgid, sticky included),
 * numeric owner, mtime to the nanosecond, xattrs except overlay's own, content, link target,
 * device number. Not the atime or ctime (they change by reading, so the same tree would not give
 * the same bytes). Sockets are left out, as containerd leaves them: a tar cannot hold one.
 */
final class EntryWriter {
  private static final Logger LOG = LoggerFactory.getLogger(EntryWriter.class);
  private static final int BUFFER = 128 * 1024;

  private final TarWriter tar;
  private final byte[] buffer = new byte[BUFFER];
  /** {@code "<dev>:<ino>"} of a hard-linked file to the first name written for it. */
  private final Map<String, String> firstNames = new HashMap<>();

  EntryWriter(TarWriter tar) {
    this.tar = tar;
  }

  /** Entries written so far, whiteouts and opaque markers included. */
  long entries() {
    return tar.entries();
  }

  /** Writes directory {@code path} (not the root) with its metadata. */
  void directory(String path, ReadableTree.Entry entry) throws IOException {
    tar.directory(path, meta(entry));
  }

  /**
   * Writes the non-directory {@code path}: a hard link to an earlier name of the same file, or
   * the file itself.
   */
  void nonDirectory(String path, ReadableTree.Entry entry) throws IOException {
    Stat st = entry.stat();
    if (st.isSocket()) {
      LOG.debug("leaving the socket {} out of the layer", entry.real());
      return;
    }
    if (st.nlink() > 1) {
      String key = st.dev() + ":" + st.ino();
      String first = firstNames.putIfAbsent(key, path);
      if (first != null) {
        // A link shares its file's metadata, which readers take from the first name's entry.
        tar.hardLink(path, new TarWriter.Meta(st.permissions(), Integer.toUnsignedLong(st.uid()),
            Integer.toUnsignedLong(st.gid()), st.mtime(), Map.of()), first);
        return;
      }
    }
    TarWriter.Meta meta = meta(entry);
    switch (st.type()) {
      case Posix.S_IFREG -> writeContent(path, meta, entry);
      case Posix.S_IFLNK -> tar.symlink(path, meta, Posix.readlink(entry.real()));
      case Posix.S_IFCHR, Posix.S_IFBLK -> tar.device(path, meta, st.isBlockDevice(),
          Posix.major(st.rdev()), Posix.minor(st.rdev()));
      case Posix.S_IFIFO -> tar.fifo(path, meta);
      default -> throw new IOException(entry.real() + ": unknown file type 0"
          + Integer.toOctalString(st.type()));
    }
  }

  /** Writes the whiteout that deletes {@code name} from directory {@code dir}. */
  void whiteout(String dir, String name) throws IOException {
    tar.file(child(dir, OverlayFormat.WHITEOUT_PREFIX + name), TarWriter.MARKER, new byte[0]);
  }

  /** Writes the marker that makes directory {@code dir} opaque ({@code ""}: the root). */
  void opaque(String dir) throws IOException {
    tar.file(child(dir, OverlayFormat.OPAQUE_MARKER), TarWriter.MARKER, new byte[0]);
  }

  /** Ends the tar. */
  void finish() throws IOException {
    tar.finish();
  }

  private void writeContent(String path, TarWriter.Meta meta, ReadableTree.Entry entry)
      throws IOException {
    long size = entry.stat().size();
    int fd = Descriptors.open(entry.real(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    try (FileChannel channel = FileChannel.open(Path.of("/proc/self/fd/" + fd),
            StandardOpenOption.READ);
         InputStream in = Channels.newInputStream(channel)) {
      tar.file(path, meta, size, in, FileNames.toText(entry.real().toString()), buffer);
    } finally {
      Descriptors.close(fd);
    }
  }

  /** The metadata a layer keeps; overlay's own xattrs are not the file's. */
  private static TarWriter.Meta meta(ReadableTree.Entry entry) throws IOException {
    Stat st = entry.stat();
    return new TarWriter.Meta(st.permissions(), Integer.toUnsignedLong(st.uid()),
        Integer.toUnsignedLong(st.gid()), st.mtime(), xattrs(entry.real()));
  }

  /** The xattrs of {@code real} that belong to the file (not overlay's), by name. */
  static Map<String, byte[]> xattrs(Path real) throws IOException {
    Map<String, byte[]> xattrs = null;
    for (String name : Xattrs.llistxattr(real)) {
      if (OverlayFormat.isOverlayPrivate(name)) {
        continue;
      }
      Optional<byte[]> value = Xattrs.lgetxattr(real, name);
      if (value.isPresent()) {
        if (xattrs == null) {
          xattrs = new TreeMap<>();
        }
        xattrs.put(name, value.get());
      }
    }
    return xattrs == null ? Map.of() : xattrs;
  }

  static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }
}
