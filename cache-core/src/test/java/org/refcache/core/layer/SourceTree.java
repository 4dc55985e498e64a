package org.refcache.core.layer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * Builds a directory tree (an overlay upper, or a plain tree) for layer writer tests, through
 * {@link Posix} so that names can be any bytes (byte strings, see
 * {@link org.refcache.posix.FileNames}): exact owners, modes, nanosecond times, xattrs, hard
 * links, devices, whiteouts and opaque directories. Every entry gets its own time.
 */
final class SourceTree {
  /** A base for the times: with nanoseconds. */
  static final Instant EPOCH = Instant.parse("2011-02-03T04:05:06.123456789Z");

  private final Path root;
  private int tick;

  SourceTree(Path root) throws IOException {
    this.root = Files.createDirectories(root);
  }

  Path root() {
    return root;
  }

  Path real(String path) {
    return path.isEmpty() ? root : root.resolve(path);
  }

  /** The next time: a second and a nanosecond after the previous. */
  Instant nextTime() {
    tick++;
    return EPOCH.plusSeconds(tick).plusNanos(tick);
  }

  SourceTree dir(String path) throws IOException {
    return dir(path, 0755, 0, 0);
  }

  SourceTree dir(String path, int mode, int uid, int gid) throws IOException {
    Posix.mkdir(real(path), 0700);
    return attributes(path, mode, uid, gid);
  }

  SourceTree file(String path, String content) throws IOException {
    return file(path, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
  }

  SourceTree file(String path, byte[] content, int mode, int uid, int gid) throws IOException {
    int fd = Descriptors.open(real(path), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC, 0600);
    try {
      Descriptors.writeFully(fd, content, content.length, path);
    } finally {
      Descriptors.close(fd);
    }
    return attributes(path, mode, uid, gid);
  }

  SourceTree symlink(String path, String target) throws IOException {
    Posix.symlink(target, real(path));
    Posix.utimens(real(path), nextTime(), nextTime(), true);
    return this;
  }

  SourceTree symlink(String path, String target, int uid, int gid) throws IOException {
    symlink(path, target);
    Posix.lchown(real(path), uid, gid);
    return this;
  }

  SourceTree hardLink(String path, String existing) throws IOException {
    Posix.link(real(existing), real(path));
    return this;
  }

  SourceTree fifo(String path) throws IOException {
    Posix.mkfifo(real(path), 0600);
    return attributes(path, 0640, 0, 0);
  }

  SourceTree charDevice(String path, int major, int minor) throws IOException {
    Posix.mknod(real(path), Posix.S_IFCHR | 0600, Posix.makedev(major, minor));
    return attributes(path, 0666, 0, 0);
  }

  /** A whiteout as overlayfs makes it: a character device 0/0, no permission bits. */
  SourceTree whiteout(String path) throws IOException {
    OverlayFormat.createWhiteout(real(path));
    return this;
  }

  SourceTree opaque(String path) throws IOException {
    OverlayFormat.markOpaque(real(path));
    return this;
  }

  SourceTree xattr(String path, String name, byte[] value) throws IOException {
    Xattrs.lsetxattr(real(path), name, value, 0);
    return this;
  }

  SourceTree chmod(String path, int mode) throws IOException {
    Posix.chmod(real(path), mode);
    return this;
  }

  SourceTree chown(String path, int uid, int gid) throws IOException {
    Posix.lchown(real(path), uid, gid);
    return this;
  }

  /** Gives {@code path} the next time (after its children changed, or to change it). */
  SourceTree touch(String path) throws IOException {
    Instant t = nextTime();
    return times(path, t);
  }

  SourceTree times(String path, Instant mtime) throws IOException {
    Posix.utimens(real(path), mtime, mtime, true);
    return this;
  }

  SourceTree delete(String path) throws IOException {
    org.refcache.core.fs.FileTrees.deleteRecursively(real(path));
    return this;
  }

  private SourceTree attributes(String path, int mode, int uid, int gid) throws IOException {
    Path p = real(path);
    Posix.lchown(p, uid, gid);
    Posix.chmod(p, mode);
    Instant t = nextTime();
    Posix.utimens(p, t, t, true);
    return this;
  }
}
