package org.refcache.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.refcache.core.overlay.DirEntry;
import org.refcache.core.overlay.Node;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * Everything a user of a tree can observe, entry by entry, for comparing a union, a FUSE mount of a
 * ref, a plain directory and a kernel overlayfs mount: type, permission bits, owner, modification
 * time, content, symlink target, device number, xattrs, the link count of non-directories, and the
 * inode number. Keys are paths relative to the root ({@code ""} is the root itself).
 */
public final class TreeSnapshot {

  /** Files up to this size are shown byte by byte; larger ones by size and digest. */
  private static final int SHOWN_BYTES = 64;

  /**
   * One entry. {@code content} is the bytes of a regular file (in hex, or its size and digest when
   * large), null otherwise; {@code nlink} is 0 for directories.
   */
  public record Entry(String path, int type, int permissions, int uid, int gid, Instant mtime,
                      String content, String linkTarget, long rdev, Map<String, String> xattrs,
                      long nlink, long inode) {

    /** Everything but the modification time and the inode number. */
    public String describeWithoutTime() {
      return "type=0" + Integer.toOctalString(type) + " mode=0" + Integer.toOctalString(permissions)
          + " owner=" + uid + ":" + gid + " content=" + content + " link=" + linkTarget + " rdev="
          + rdev + " xattrs=" + xattrs + " nlink=" + nlink;
    }

    /**
     * What two trees built by the same operations since {@code changesSince} must agree on: all but
     * the inode number, with the modification time only of entries not changed since then (the
     * others only have to be recent on both sides) and without a symlink's mode and time.
     */
    public String describe(Instant changesSince) {
      if (type == Posix.S_IFLNK) {
        return describeWithoutTime().replaceFirst(" mode=0[0-7]+", "");
      }
      return describeWithoutTime() + " mtime="
          + (mtime.isBefore(changesSince) ? mtime.toString() : "recent");
    }
  }

  private TreeSnapshot() {}

  /**
   * A real directory tree (a plain directory or a mount), root excluded unless asked; the overlay
   * format's private xattrs are left out.
   */
  public static Map<String, Entry> ofDirectory(Path root, boolean withRoot) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    if (withRoot) {
      entries.put("", entry("", root, Posix.lstat(root)));
    }
    walk(root, "", entries);
    return entries;
  }

  /** Each entry's {@link Entry#describe(Instant)}, by path. */
  public static Map<String, String> describe(Map<String, Entry> snapshot, Instant changesSince) {
    Map<String, String> described = new TreeMap<>();
    snapshot.forEach((path, entry) -> described.put(path, entry.describe(changesSince)));
    return described;
  }

  private static void walk(Path dir, String path, Map<String, Entry> entries) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    for (Path child : children) {
      String childPath = child(path, child.getFileName().toString());
      Stat stat = Posix.lstat(child);
      entries.put(childPath, entry(childPath, child, stat));
      if (stat.isDirectory()) {
        walk(child, childPath, entries);
      }
    }
  }

  /** The merged view of a union, through its public API only. */
  public static Map<String, Entry> ofTree(OverlayTree tree, boolean withRoot) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    if (withRoot) {
      entries.put("", entry(tree, ""));
    }
    walk(tree, "", entries);
    return entries;
  }

  private static void walk(OverlayTree tree, String path, Map<String, Entry> entries)
      throws IOException {
    for (DirEntry child : tree.list(path)) {
      String childPath = child(path, child.name());
      Entry entry = entry(tree, childPath);
      if (entry.type() != child.type()) {
        throw new AssertionError("listing says type 0" + Integer.toOctalString(child.type())
            + " but resolve says 0" + Integer.toOctalString(entry.type()) + " for " + childPath);
      }
      entries.put(childPath, entry);
      if (entry.type() == Posix.S_IFDIR) {
        walk(tree, childPath, entries);
      }
    }
  }

  private static Entry entry(OverlayTree tree, String path) throws IOException {
    Node node = tree.resolve(path).orElseThrow(() -> new AssertionError("listed, absent: " + path));
    Map<String, String> xattrs = new TreeMap<>();
    for (String name : tree.listXattr(path)) {
      Optional<byte[]> value = tree.getXattr(path, name);
      xattrs.put(name, value.map(HexFormat.of()::formatHex).orElse("<absent>"));
    }
    return build(path, node.real(), node.stat(), xattrs);
  }

  private static Entry entry(String path, Path real, Stat stat) throws IOException {
    Map<String, String> xattrs = new TreeMap<>();
    for (String name : Xattrs.llistxattr(real)) {
      if (!OverlayFormat.isPrivateXattr(name)) {
        xattrs.put(name, Xattrs.lgetxattr(real, name).map(HexFormat.of()::formatHex)
            .orElse("<absent>"));
      }
    }
    return build(path, real, stat, xattrs);
  }

  private static Entry build(String path, Path real, Stat stat, Map<String, String> xattrs)
      throws IOException {
    String content = stat.isRegularFile() ? content(real) : null;
    String target = stat.isSymlink() ? Files.readSymbolicLink(real).toString() : null;
    long rdev = stat.isCharDevice() || stat.isBlockDevice() ? stat.rdev() : 0;
    return new Entry(path, stat.type(), stat.permissions(), stat.uid(), stat.gid(), stat.mtime(),
        content, target, rdev, Collections.unmodifiableMap(xattrs),
        stat.isDirectory() ? 0 : stat.nlink(), stat.ino());
  }

  private static String content(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] first = in.readNBytes(SHOWN_BYTES + 1);
      if (first.length <= SHOWN_BYTES) {
        return HexFormat.of().formatHex(first);
      }
      sha.update(first);
      long size = first.length;
      byte[] buffer = new byte[65536];
      for (int n; (n = in.read(buffer)) > 0; size += n) {
        sha.update(buffer, 0, n);
      }
      return size + " bytes sha256:" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String child(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }
}
