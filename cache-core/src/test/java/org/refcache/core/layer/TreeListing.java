package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.refcache.core.digest.Digester;
import org.refcache.posix.Descriptors;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * Everything a layer keeps of a tree, path by path (root excluded), as comparable text: type,
 * permission bits, owner, mtime, content digest, symlink target, device number, xattrs (hex),
 * which names are one hard-linked file, and, if asked, whiteouts and opaque markers. Read through
 * a {@link ReadableTree}, so a plain directory and a union compare alike; names are byte strings,
 * shown as text.
 */
public final class TreeListing {
  private TreeListing() {
  }

  /** A plain directory, whiteouts and opaque directories shown. */
  public static Map<String, String> of(Path root) throws IOException {
    return of(ReadableTree.directory(root), true);
  }

  /**
   * @param markers whether to show whiteouts (else a whiteout is listed as its device) and the
   *                opaque marker of directories
   */
  public static Map<String, String> of(ReadableTree tree, boolean markers) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    Map<String, String> firstNameOfInode = new HashMap<>();
    walk(tree, "", markers, entries, firstNameOfInode);
    return entries;
  }

  private static void walk(ReadableTree tree, String dir, boolean markers,
      Map<String, String> entries, Map<String, String> firstNames) throws IOException {
    List<String> names = new ArrayList<>(tree.list(dir));
    names.sort(null);
    for (String name : names) {
      String path = dir.isEmpty() ? name : dir + "/" + name;
      Optional<ReadableTree.Entry> found = tree.entry(path);
      ReadableTree.Entry entry = found.orElseThrow(() -> new AssertionError("listed, absent: "
          + path));
      entries.put(FileNames.toText(path), describe(path, entry, markers, firstNames));
      if (entry.stat().isDirectory()) {
        walk(tree, path, markers, entries, firstNames);
      }
    }
  }

  private static String describe(String path, ReadableTree.Entry entry, boolean markers,
      Map<String, String> firstNames) throws IOException {
    Stat st = entry.stat();
    Path real = entry.real();
    if (markers && OverlayFormat.isWhiteout(st)) {
      return "whiteout";
    }
    StringBuilder d = new StringBuilder();
    d.append("type=0").append(Integer.toOctalString(st.type()))
        .append(" mode=0").append(Integer.toOctalString(st.permissions()))
        .append(" owner=").append(Integer.toUnsignedString(st.uid())).append(':')
        .append(Integer.toUnsignedString(st.gid()))
        .append(" mtime=").append(st.mtime());
    if (st.isRegularFile()) {
      d.append(" content=").append(digest(real));
    } else if (st.isSymlink()) {
      d.append(" target=").append(FileNames.toText(Posix.readlink(real)));
    } else if (st.isCharDevice() || st.isBlockDevice()) {
      d.append(" rdev=").append(Posix.major(st.rdev())).append(',')
          .append(Posix.minor(st.rdev()));
    }
    Map<String, String> xattrs = new TreeMap<>();
    for (String name : Xattrs.llistxattr(real)) {
      boolean opaque = name.equals(OverlayFormat.OPAQUE_XATTR);
      if (OverlayFormat.isOverlayPrivate(name) && !(opaque && markers)) {
        continue;
      }
      Xattrs.lgetxattr(real, name).ifPresent(v -> xattrs.put(name, HexFormat.of().formatHex(v)));
    }
    if (!xattrs.isEmpty()) {
      d.append(" xattrs=").append(xattrs);
    }
    if (!st.isDirectory() && st.nlink() > 1) {
      String first = firstNames.putIfAbsent(st.dev() + ":" + st.ino(), path);
      d.append(" linkedTo=").append(first == null ? "(first)" : FileNames.toText(first));
    }
    return d.toString();
  }

  private static String digest(Path real) throws IOException {
    int fd = Descriptors.open(real, Posix.O_RDONLY | Posix.O_NOFOLLOW, 0);
    try (InputStream in = Channels.newInputStream(FileChannel.open(
        Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ))) {
      Digester d = Digester.sha256();
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        d.update(buf, 0, n);
      }
      return d.digest().hex().substring(0, 16);
    } finally {
      Descriptors.close(fd);
    }
  }
}
