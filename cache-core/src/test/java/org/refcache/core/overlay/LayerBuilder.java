package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * Builds a layer directory by hand, the way an unpacked layer or an overlayfs upper looks:
 * entries with exact owner, mode and nanosecond times, whiteouts (character devices 0/0) and
 * opaque directories ({@code trusted.overlay.opaque=y}).
 */
final class LayerBuilder {

  /** A base for the times of fixture entries: distinct, with nanoseconds. */
  static final Instant EPOCH = Instant.parse("2001-02-03T04:05:06.123456789Z");

  private final Path root;
  private int tick;

  LayerBuilder(Path root) throws IOException {
    this.root = Files.createDirectories(root);
  }

  Path root() {
    return root;
  }

  /** The next fixture time: one second and one nanosecond after the previous. */
  Instant nextTime() {
    tick++;
    return EPOCH.plusSeconds(tick * 1000L).plusNanos(tick);
  }

  LayerBuilder file(String path, String content) throws IOException {
    return file(path, content, 0644, 0, 0);
  }

  LayerBuilder file(String path, String content, int mode, int uid, int gid) throws IOException {
    Path p = root.resolve(path);
    Files.write(p, content.getBytes(StandardCharsets.UTF_8));
    return attributes(p, mode, uid, gid);
  }

  LayerBuilder dir(String path) throws IOException {
    return dir(path, 0755, 0, 0);
  }

  LayerBuilder dir(String path, int mode, int uid, int gid) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectory(p);
    return attributes(p, mode, uid, gid);
  }

  LayerBuilder symlink(String path, String target) throws IOException {
    Path p = root.resolve(path);
    Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
    Posix.utimens(p, nextTime(), nextTime(), true);
    return this;
  }

  LayerBuilder fifo(String path, int mode) throws IOException {
    Path p = root.resolve(path);
    Posix.mknod(p, Posix.S_IFIFO | 0600, 0);
    return attributes(p, mode, 0, 0);
  }

  LayerBuilder device(String path, int type, int major, int minor) throws IOException {
    Path p = root.resolve(path);
    Posix.mknod(p, type | 0600, Posix.makedev(major, minor));
    return attributes(p, 0660, 0, 6);
  }

  LayerBuilder whiteout(String path) throws IOException {
    Posix.mknod(root.resolve(path), Posix.S_IFCHR, 0);
    return this;
  }

  LayerBuilder opaque(String path) throws IOException {
    Xattrs.lsetxattr(root.resolve(path), OverlayFormat.OPAQUE_XATTR, new byte[] {'y'}, 0);
    return this;
  }

  LayerBuilder xattr(String path, String name, String value) throws IOException {
    Xattrs.lsetxattr(root.resolve(path), name, value.getBytes(StandardCharsets.UTF_8), 0);
    return this;
  }

  /** Sets times again after children were added to a directory. */
  LayerBuilder touch(String path) throws IOException {
    Posix.utimens(root.resolve(path), nextTime(), nextTime(), true);
    return this;
  }

  private LayerBuilder attributes(Path p, int mode, int uid, int gid) throws IOException {
    Posix.lchown(p, uid, gid);
    Posix.chmod(p, mode);
    Posix.utimens(p, nextTime(), nextTime(), true);
    return this;
  }
}
