package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import org.refcache.core.fs.EarlyWriteback;
import org.refcache.core.fs.FileTrees;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * A {@link LayerOutput} that builds the layer in a directory on disk. Everything goes through
 * {@link Posix}, not {@code java.nio.file}: the names are byte strings
 * ({@link org.refcache.posix.FileNames}).
 */
final class LayerDirectory implements LayerOutput {
  private static final int COPY_BUFFER = 128 * 1024;

  /** File content written between two early flushes (see {@link EarlyWriteback}). */
  private static final long FLUSH_EVERY = 16L * 1024 * 1024;

  private final Path root;
  private final byte[] buffer = new byte[COPY_BUFFER];
  /** Flushes started while the layer is written; null when it will not be synced. */
  private final EarlyWriteback writeback;

  /** Writes below {@code root}, an empty directory the caller owns. */
  LayerDirectory(Path root) {
    this(root, false);
  }

  /**
   * Writes below {@code root}, an empty directory the caller owns.
   *
   * @param syncing whether {@link #sync} will be called: then the disk starts writing the files
   *                back while the layer is being written
   */
  LayerDirectory(Path root, boolean syncing) {
    this.root = root;
    this.writeback = syncing
        ? new EarlyWriteback(() -> Descriptors.syncfs(root), FLUSH_EVERY, "refcache-layer-flush")
        : null;
  }

  private Path path(String rel) {
    return rel.isEmpty() ? root : root.resolve(rel);
  }

  @Override
  public void mkdir(String rel) throws IOException {
    Posix.mkdir(path(rel), 0700);
  }

  @Override
  public void chmod(String rel, int mode) throws IOException {
    Posix.chmod(path(rel), mode);
  }

  @Override
  public void lchown(String rel, int uid, int gid) throws IOException {
    Posix.lchown(path(rel), uid, gid);
  }

  @Override
  public void writeFile(String rel, InputStream content) throws IOException {
    Path target = path(rel);
    int fd = Descriptors.open(target,
        Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0600);
    try {
      int n;
      while ((n = content.read(buffer, 0, buffer.length)) >= 0) {
        Descriptors.writeFully(fd, buffer, n, target.toString());
        if (writeback != null) {
          writeback.written(n);
        }
      }
    } finally {
      Descriptors.close(fd);
    }
  }

  @Override
  public void symlink(String rel, String target) throws IOException {
    Posix.symlink(target, path(rel));
  }

  @Override
  public void mknod(String rel, int mode, long device) throws IOException {
    Posix.mknod(path(rel), mode, device);
  }

  @Override
  public void mkfifo(String rel, int mode) throws IOException {
    Posix.mkfifo(path(rel), mode);
  }

  @Override
  public void link(String existingRel, String rel) throws IOException {
    Posix.link(path(existingRel), path(rel));
  }

  @Override
  public void markOpaque(String rel) throws IOException {
    OverlayFormat.markOpaque(path(rel));
  }

  @Override
  public void createWhiteout(String rel) throws IOException {
    OverlayFormat.createWhiteout(path(rel));
  }

  @Override
  public void delete(String rel, boolean directory) throws IOException {
    if (directory) {
      FileTrees.deleteRecursively(path(rel));
    } else {
      Posix.delete(path(rel));
    }
  }

  @Override
  public void setXattr(String rel, String name, byte[] value) throws IOException {
    Xattrs.lsetxattr(path(rel), name, value, 0);
  }

  @Override
  public void setTimes(String rel, Instant atime, Instant mtime) throws IOException {
    Posix.utimens(path(rel), atime, mtime, true);
  }

  @Override
  public void sync() throws IOException {
    // One syncfs flushes every new file and directory; an fsync per entry costs a journal commit each.
    // The early ones only started the disk sooner: this one, after all writes, is the durable point.
    if (writeback != null) {
      writeback.await();
    }
    Descriptors.syncfs(root);
  }
}
