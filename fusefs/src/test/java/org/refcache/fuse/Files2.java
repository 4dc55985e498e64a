package org.refcache.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/** Building layer content by hand: files with exact owner, mode and times, and overlay markers. */
final class Files2 {

  /** A fixed, old time with nanoseconds, so preserved times are recognisable. */
  static final Instant OLD = Instant.parse("2020-02-03T04:05:06.123456789Z");

  private Files2() {
  }

  static Path file(Path path, String content, int mode, int uid, int gid) throws IOException {
    Files.createDirectories(path.getParent());
    Files.writeString(path, content, StandardCharsets.UTF_8);
    Posix.lchown(path, uid, gid);
    Posix.chmod(path, mode);
    Posix.utimens(path, OLD, OLD, true);
    return path;
  }

  static Path file(Path path, String content) throws IOException {
    return file(path, content, 0644, 0, 0);
  }

  static Path dir(Path path, int mode) throws IOException {
    Files.createDirectories(path);
    Posix.chmod(path, mode);
    return path;
  }

  static Path symlink(Path path, String target) throws IOException {
    Files.createDirectories(path.getParent());
    Files.createSymbolicLink(path, path.getFileSystem().getPath(target));
    Posix.utimens(path, OLD, OLD, true);
    return path;
  }

  static void whiteout(Path path) throws IOException {
    Files.createDirectories(path.getParent());
    Posix.mknod(path, Posix.S_IFCHR, OverlayFormat.WHITEOUT_RDEV);
  }

  static void opaque(Path dir) throws IOException {
    Files.createDirectories(dir);
    OverlayFormat.markOpaque(dir);
  }

  static void xattr(Path path, String name, String value) throws IOException {
    Xattrs.lsetxattr(path, name, value.getBytes(StandardCharsets.UTF_8), 0);
  }

  /** Sets the times of a directory last, after its children changed them. */
  static void oldTimes(Path path) throws IOException {
    Posix.utimens(path, OLD, OLD, true);
  }
}
