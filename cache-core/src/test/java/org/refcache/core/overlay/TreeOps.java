package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * The operations a build step performs on a tree, applied either to a {@link WritableOverlayTree}
 * or straight to a plain directory through the kernel (the reference behaviour).
 */
interface TreeOps {

  void createFile(String path, int mode, int uid, int gid, boolean exclusive) throws IOException;

  void write(String path, long offset, byte[] data) throws IOException;

  void openTruncating(String path) throws IOException;

  void truncate(String path, long size) throws IOException;

  void mkdir(String path, int mode, int uid, int gid) throws IOException;

  void rmdir(String path) throws IOException;

  void unlink(String path) throws IOException;

  void rename(String from, String to, int flags) throws IOException;

  void symlink(String target, String path, int uid, int gid) throws IOException;

  void link(String existing, String newPath) throws IOException;

  void chmod(String path, int mode) throws IOException;

  void chown(String path, int uid, int gid) throws IOException;

  void utimens(String path, Instant atime, Instant mtime) throws IOException;

  void mknod(String path, int mode, long rdev, int uid, int gid) throws IOException;

  void setXattr(String path, String name, byte[] value, int flags) throws IOException;

  void removeXattr(String path, String name) throws IOException;

  private static void writeAt(Path file, long offset, byte[] data) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer buffer = ByteBuffer.wrap(data);
      long at = offset;
      while (buffer.hasRemaining()) {
        at += channel.write(buffer, at);
      }
    }
  }

  /** Through the union. */
  record Overlay(WritableOverlayTree tree) implements TreeOps {
    @Override
    public void createFile(String path, int mode, int uid, int gid, boolean exclusive)
        throws IOException {
      tree.createFile(path, mode, uid, gid, exclusive);
    }

    @Override
    public void write(String path, long offset, byte[] data) throws IOException {
      writeAt(tree.openForWrite(path, false), offset, data);
    }

    @Override
    public void openTruncating(String path) throws IOException {
      tree.openForWrite(path, true);
    }

    @Override
    public void truncate(String path, long size) throws IOException {
      tree.truncate(path, size);
    }

    @Override
    public void mkdir(String path, int mode, int uid, int gid) throws IOException {
      tree.mkdir(path, mode, uid, gid);
    }

    @Override
    public void rmdir(String path) throws IOException {
      tree.rmdir(path);
    }

    @Override
    public void unlink(String path) throws IOException {
      tree.unlink(path);
    }

    @Override
    public void rename(String from, String to, int flags) throws IOException {
      tree.rename(from, to, flags);
    }

    @Override
    public void symlink(String target, String path, int uid, int gid) throws IOException {
      tree.symlink(target, path, uid, gid);
    }

    @Override
    public void link(String existing, String newPath) throws IOException {
      tree.link(existing, newPath);
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
      tree.chmod(path, mode);
    }

    @Override
    public void chown(String path, int uid, int gid) throws IOException {
      tree.chown(path, uid, gid);
    }

    @Override
    public void utimens(String path, Instant atime, Instant mtime) throws IOException {
      tree.utimens(path, atime, mtime);
    }

    @Override
    public void mknod(String path, int mode, long rdev, int uid, int gid) throws IOException {
      tree.mknod(path, mode, rdev, uid, gid);
    }

    @Override
    public void setXattr(String path, String name, byte[] value, int flags) throws IOException {
      tree.setXattr(path, name, value, flags);
    }

    @Override
    public void removeXattr(String path, String name) throws IOException {
      tree.removeXattr(path, name);
    }
  }

  /**
   * Straight on a directory: the system calls a process would make, so errors are the kernel's.
   * Where java.nio does more than the system call (Files.delete removes directories too), the
   * system call's answer is reproduced.
   */
  record Plain(Path root) implements TreeOps {
    private Path at(String path) {
      return path.isEmpty() ? root : root.resolve(path);
    }

    @Override
    public void createFile(String path, int mode, int uid, int gid, boolean exclusive)
        throws IOException {
      boolean existed = exists(path);
      int flags = Posix.O_WRONLY | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_CLOEXEC
          | (exclusive ? Posix.O_EXCL : 0);
      Descriptors.close(Descriptors.open(at(path), flags, mode & 0777));
      if (!existed) {
        Posix.lchown(at(path), uid, gid);
        Posix.chmod(at(path), mode);
      }
    }

    private boolean exists(String path) {
      return Files.exists(at(path), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void write(String path, long offset, byte[] data) throws IOException {
      writeAt(at(path), offset, data);
    }

    @Override
    public void openTruncating(String path) throws IOException {
      Descriptors.close(Descriptors.open(at(path),
          Posix.O_WRONLY | Posix.O_TRUNC | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0));
    }

    @Override
    public void truncate(String path, long size) throws IOException {
      var stat = Posix.lstat(at(path));
      if (stat.isDirectory()) {
        throw new IsDirectoryException(path);
      }
      if (!stat.isRegularFile()) {
        throw org.refcache.posix.ErrnoMapper.toException("truncate",
            org.refcache.posix.Errno.EINVAL, path, null);
      }
      int fd = Descriptors.open(at(path), Posix.O_WRONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      int rc = Descriptors.ftruncate(fd, size);
      Descriptors.close(fd);
      if (rc != 0) {
        throw org.refcache.posix.ErrnoMapper.toException("ftruncate", -rc, path, null);
      }
    }

    @Override
    public void mkdir(String path, int mode, int uid, int gid) throws IOException {
      Files.createDirectory(at(path));
      Posix.lchown(at(path), uid, gid);
      Posix.chmod(at(path), mode);
    }

    @Override
    public void rmdir(String path) throws IOException {
      if (!Posix.lstat(at(path)).isDirectory()) {
        throw new NotDirectoryException(path);
      }
      Files.delete(at(path));
    }

    @Override
    public void unlink(String path) throws IOException {
      if (Posix.lstat(at(path)).isDirectory()) {
        throw new IsDirectoryException(path);
      }
      Files.delete(at(path));
    }

    @Override
    public void rename(String from, String to, int flags) throws IOException {
      Posix.renameat2(at(from), at(to), flags);
    }

    @Override
    public void symlink(String target, String path, int uid, int gid) throws IOException {
      Files.createSymbolicLink(at(path), root.getFileSystem().getPath(target));
      Posix.lchown(at(path), uid, gid);
    }

    @Override
    public void link(String existing, String newPath) throws IOException {
      Files.createLink(at(newPath), at(existing));
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
      Posix.chmod(at(path), mode);
    }

    @Override
    public void chown(String path, int uid, int gid) throws IOException {
      Posix.lchown(at(path), uid, gid);
    }

    @Override
    public void utimens(String path, Instant atime, Instant mtime) throws IOException {
      Posix.utimens(at(path), atime, mtime, true);
    }

    @Override
    public void mknod(String path, int mode, long rdev, int uid, int gid) throws IOException {
      Posix.mknod(at(path), mode, rdev);
      Posix.lchown(at(path), uid, gid);
      Posix.chmod(at(path), mode & 07777);
    }

    @Override
    public void setXattr(String path, String name, byte[] value, int flags) throws IOException {
      Xattrs.lsetxattr(at(path), name, value, flags);
    }

    @Override
    public void removeXattr(String path, String name) throws IOException {
      Xattrs.lremovexattr(at(path), name);
    }
  }
}
