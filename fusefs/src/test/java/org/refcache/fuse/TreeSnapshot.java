package org.refcache.fuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * What a directory tree looks like to a program, for comparing two trees: per relative path the
 * type, permissions, owner, content (or symlink target, or device number), link count of
 * non-directories, extended attributes, and the modification time of entries not changed since
 * {@code changesSince} (the others only have to be recent on both sides).
 */
final class TreeSnapshot {

  /** One entry, printable so that a failed comparison shows what differs. */
  record Entry(String type, String permissions, int uid, int gid, String content, long nlink,
               Map<String, String> xattrs, String mtime) {
  }

  private TreeSnapshot() {
  }

  static Map<String, Entry> of(Path root, Instant changesSince) throws IOException {
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      walk.forEach(paths::add);
    }
    Map<String, Entry> entries = new TreeMap<>();
    for (Path path : paths) {
      Stat stat = Posix.lstat(path);
      String content = switch (stat.type()) {
        case Posix.S_IFREG -> stat.size() + " bytes " + digest(path);
        case Posix.S_IFLNK -> "-> " + Files.readSymbolicLink(path);
        case Posix.S_IFCHR, Posix.S_IFBLK ->
            "device " + Posix.major(stat.rdev()) + "," + Posix.minor(stat.rdev());
        default -> "";
      };
      Map<String, String> xattrs = new TreeMap<>();
      for (String name : Posix.llistxattr(path)) {
        xattrs.put(name, Posix.lgetxattr(path, name)
            .map(v -> new String(v, StandardCharsets.UTF_8)).orElse("(gone)"));
      }
      String mtime = stat.mtime().isBefore(changesSince) ? stat.mtime().toString() : "recent";
      entries.put(root.relativize(path).toString(), new Entry(type(stat),
          stat.isSymlink() ? "" : Integer.toOctalString(stat.permissions()), stat.uid(),
          stat.gid(), content, stat.isDirectory() ? 0 : stat.nlink(), xattrs,
          stat.isSymlink() ? "" : mtime));
    }
    return entries;
  }

  private static String type(Stat stat) {
    return switch (stat.type()) {
      case Posix.S_IFREG -> "file";
      case Posix.S_IFDIR -> "dir";
      case Posix.S_IFLNK -> "symlink";
      case Posix.S_IFIFO -> "fifo";
      case Posix.S_IFCHR -> "char";
      case Posix.S_IFBLK -> "block";
      case Posix.S_IFSOCK -> "socket";
      default -> "type " + Integer.toOctalString(stat.type());
    };
  }

  private static String digest(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[65536];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
