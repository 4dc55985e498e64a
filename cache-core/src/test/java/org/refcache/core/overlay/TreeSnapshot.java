package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Everything a user of a tree can observe, entry by entry, for comparing a union with a plain
 * directory or with a kernel overlayfs mount: type, permission bits, owner, modification time,
 * content, symlink target, device number, xattrs, and the link count of non-directories.
 */
final class TreeSnapshot {

  /**
   * One entry. {@code mtime} is compared only when both sides have it (a side may drop it where
   * the time is not deterministic); {@code nlink} is 0 for directories.
   */
  record Entry(String path, int type, int permissions, int uid, int gid, Instant mtime,
               String content, String linkTarget, long rdev, Map<String, String> xattrs,
               long nlink, long inode) {

    String describeWithoutTime() {
      return "type=0" + Integer.toOctalString(type) + " mode=0" + Integer.toOctalString(permissions)
          + " owner=" + uid + ":" + gid + " content=" + content + " link=" + linkTarget + " rdev="
          + rdev + " xattrs=" + xattrs + " nlink=" + nlink;
    }
  }

  private TreeSnapshot() {
  }

  /** A real directory tree (a plain directory or a mount), root excluded unless asked. */
  static Map<String, Entry> ofDirectory(Path root, boolean withRoot) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    if (withRoot) {
      entries.put("", entry("", root, Posix.lstat(root)));
    }
    walk(root, "", entries);
    return entries;
  }

  private static void walk(Path dir, String path, Map<String, Entry> entries) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    for (Path child : children) {
      String childPath = TreePath.child(path, child.getFileName().toString());
      Stat stat = Posix.lstat(child);
      entries.put(childPath, entry(childPath, child, stat));
      if (stat.isDirectory()) {
        walk(child, childPath, entries);
      }
    }
  }

  /** The merged view of a union, through its public API only. */
  static Map<String, Entry> ofTree(OverlayTree tree, boolean withRoot) throws IOException {
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
      String childPath = TreePath.child(path, child.name());
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
    for (String name : Posix.llistxattr(real)) {
      if (!OverlayFormat.isPrivateXattr(name)) {
        xattrs.put(name, Posix.lgetxattr(real, name).map(HexFormat.of()::formatHex)
            .orElse("<absent>"));
      }
    }
    return build(path, real, stat, xattrs);
  }

  private static Entry build(String path, Path real, Stat stat, Map<String, String> xattrs)
      throws IOException {
    String content = stat.isRegularFile()
        ? HexFormat.of().formatHex(Files.readAllBytes(real)) : null;
    String target = stat.isSymlink() ? Files.readSymbolicLink(real).toString() : null;
    long rdev = stat.isCharDevice() || stat.isBlockDevice() ? stat.rdev() : 0;
    return new Entry(path, stat.type(), stat.permissions(), stat.uid(), stat.gid(), stat.mtime(),
        content, target, rdev, java.util.Collections.unmodifiableMap(xattrs), stat.isDirectory() ? 0 : stat.nlink(),
        stat.ino());
  }
}
