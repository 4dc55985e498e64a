package org.refcache.testing;

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
 * opaque directories ({@code trusted.overlay.opaque=y}). Paths are relative to the layer's root;
 * a file's missing parent directories are made (with default attributes). Times are distinct per
 * entry ({@link #LayerBuilder}) or one fixed time for all ({@link #allAt}).
 */
public final class LayerBuilder {

  /** A base for the times of fixture entries: distinct, with nanoseconds. */
  public static final Instant EPOCH = Instant.parse("2001-02-03T04:05:06.123456789Z");
  /** A fixed, old time with nanoseconds, so preserved times are recognisable. */
  public static final Instant OLD = Instant.parse("2020-02-03T04:05:06.123456789Z");

  private final Path root;
  /** The time of every entry, or null for distinct times from {@link #EPOCH}. */
  private final Instant fixed;
  private int tick;

  /** A builder of the layer at {@code root} (made if missing) whose entries get distinct times. */
  public LayerBuilder(Path root) throws IOException {
    this(root, null);
  }

  private LayerBuilder(Path root, Instant fixed) throws IOException {
    this.root = Files.createDirectories(root);
    this.fixed = fixed;
  }

  /** A builder of the layer at {@code root} (made if missing) whose entries all get {@code time}. */
  public static LayerBuilder allAt(Path root, Instant time) throws IOException {
    return new LayerBuilder(root, time);
  }

  public Path root() {
    return root;
  }

  /** Where {@code path} of the layer is. */
  public Path path(String path) {
    return root.resolve(path);
  }

  /** The next fixture time: one second and one nanosecond after the previous (or the fixed one). */
  public Instant nextTime() {
    if (fixed != null) {
      return fixed;
    }
    tick++;
    return EPOCH.plusSeconds(tick * 1000L).plusNanos(tick);
  }

  public LayerBuilder file(String path, String content) throws IOException {
    return file(path, content, 0644, 0, 0);
  }

  public LayerBuilder file(String path, String content, int mode, int uid, int gid)
      throws IOException {
    Path p = withParent(path);
    Files.write(p, content.getBytes(StandardCharsets.UTF_8));
    return attributes(p, mode, uid, gid);
  }

  public LayerBuilder dir(String path) throws IOException {
    return dir(path, 0755, 0, 0);
  }

  public LayerBuilder dir(String path, int mode) throws IOException {
    return dir(path, mode, 0, 0);
  }

  public LayerBuilder dir(String path, int mode, int uid, int gid) throws IOException {
    Path p = withParent(path);
    Files.createDirectory(p);
    return attributes(p, mode, uid, gid);
  }

  public LayerBuilder symlink(String path, String target) throws IOException {
    Path p = withParent(path);
    Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
    Posix.utimens(p, nextTime(), nextTime(), true);
    return this;
  }

  public LayerBuilder fifo(String path, int mode) throws IOException {
    Path p = withParent(path);
    Posix.mknod(p, Posix.S_IFIFO | 0600, 0);
    return attributes(p, mode, 0, 0);
  }

  public LayerBuilder device(String path, int type, int major, int minor) throws IOException {
    Path p = withParent(path);
    Posix.mknod(p, type | 0600, Posix.makedev(major, minor));
    return attributes(p, 0660, 0, 6);
  }

  public LayerBuilder whiteout(String path) throws IOException {
    Posix.mknod(withParent(path), Posix.S_IFCHR, OverlayFormat.WHITEOUT_RDEV);
    return this;
  }

  /** Marks directory {@code path} opaque, making it if missing. */
  public LayerBuilder opaque(String path) throws IOException {
    Path p = Files.createDirectories(root.resolve(path));
    OverlayFormat.markOpaque(p);
    return this;
  }

  public LayerBuilder xattr(String path, String name, String value) throws IOException {
    Xattrs.lsetxattr(root.resolve(path), name, value.getBytes(StandardCharsets.UTF_8), 0);
    return this;
  }

  /** Sets times again, after children were added to a directory or attributes to a file. */
  public LayerBuilder touch(String path) throws IOException {
    Posix.utimens(root.resolve(path), nextTime(), nextTime(), true);
    return this;
  }

  private Path withParent(String path) throws IOException {
    Path p = root.resolve(path);
    Files.createDirectories(p.getParent());
    return p;
  }

  private LayerBuilder attributes(Path p, int mode, int uid, int gid) throws IOException {
    Posix.lchown(p, uid, gid);
    Posix.chmod(p, mode);
    Posix.utimens(p, nextTime(), nextTime(), true);
    return this;
  }
}
