package org.refcache.posix;

import static org.refcache.posix.Posix.O_CLOEXEC;
import static org.refcache.posix.Posix.O_DIRECTORY;
import static org.refcache.posix.Posix.O_RDONLY;
import static org.refcache.posix.Posix.O_RDWR;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.Pointer;

/**
 * Calls on file descriptors: open, positional and streaming I/O, sync, space reservation,
 * {@code flock}, {@code copy_file_range} and close. The calls documented as returning
 * {@code -errno} (and {@link #openRaw}) serve the FUSE hot path: they never throw and allocate
 * nothing on the Java heap; the others throw what {@link ErrnoMapper} maps the errno to. Open
 * flags are {@link Posix}'s {@code O_*}.
 */
public final class Descriptors {

  /** {@code flock(2)} operations. */
  static final int LOCK_EX = 2;
  static final int LOCK_NB = 4;

  private Descriptors() {
  }

  /**
   * Opens {@code p} and returns the file descriptor, which the caller must {@link #close}.
   *
   * @param flags {@code O_*} flags
   * @param mode  permissions of a file created with {@link Posix#O_CREAT}
   */
  public static int open(Path p, int flags, int mode) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      int fd = Library.LIBC.open(at.name(), flags, mode);
      if (fd < 0) {
        throw ErrnoMapper.toException("open", Posix.errno(), path, null);
      }
      return fd;
    }
  }

  /** Opens {@code path}; returns the file descriptor or -errno, never throws. */
  public static int openRaw(String path, int flags, int mode) {
    if (ShortPath.fits(path)) {
      int fd = Library.LIBC.open(path, flags, mode);
      return fd >= 0 ? fd : -Posix.errno();
    }
    try (ShortPath at = ShortPath.of(path)) {
      int fd = Library.LIBC.open(at.name(), flags, mode);
      return fd >= 0 ? fd : -Posix.errno();
    } catch (IOException e) {
      return -ErrnoMapper.toErrno(e);
    }
  }

  /**
   * Reads up to {@code count} bytes at {@code offset} into {@code buf} (a direct pointer such as
   * FUSE's read buffer, so there is no Java copy). Returns the bytes read (0 at end of file, fewer
   * than asked near it) or -errno; never throws.
   */
  public static long pread(int fd, Pointer buf, long count, long offset) {
    long n = Library.LIBC.pread(fd, buf, count, offset);
    return n >= 0 ? n : -Posix.errno();
  }

  /** Writes up to {@code count} bytes of {@code buf} at {@code offset}: bytes written or -errno. */
  public static long pwrite(int fd, Pointer buf, long count, long offset) {
    long n = Library.LIBC.pwrite(fd, buf, count, offset);
    return n >= 0 ? n : -Posix.errno();
  }

  /**
   * Writes {@code buf[0, length)} to {@code fd} at its offset, all of it (a short write is
   * continued).
   *
   * @param what names the file in the exception
   */
  public static void writeFully(int fd, byte[] buf, int length, String what) throws IOException {
    byte[] rest = buf;
    int left = length;
    while (left > 0) {
      long n = Library.LIBC.write(fd, rest, left);
      if (n < 0) {
        throw ErrnoMapper.toException("write", Posix.errno(), what, null);
      }
      left -= (int) n;
      if (left > 0) {
        rest = Arrays.copyOfRange(rest, (int) n, (int) n + left); // rare: only what is left
      }
    }
  }

  /** {@code read(2)} into {@code buf}: the bytes read, or -errno; never throws. */
  public static long read(int fd, Pointer buf, long count) {
    long n = Library.LIBC.read(fd, buf, count);
    return n >= 0 ? n : -Posix.errno();
  }

  /** {@code write(2)} of {@code buf[0, count)}: the bytes written, or -errno; never throws. */
  public static long write(int fd, Pointer buf, long count) {
    long n = Library.LIBC.write(fd, buf, count);
    return n >= 0 ? n : -Posix.errno();
  }

  /** {@code ioctl(2)} with a pointer argument: its result, or -errno; never throws. */
  public static int ioctl(int fd, long request, Pointer arg) {
    int rc = Library.LIBC.ioctl(fd, request, arg);
    return rc >= 0 ? rc : -Posix.errno();
  }

  /**
   * Copies what is left of {@code in} into {@code out} from both descriptors' offsets, in the
   * kernel ({@code copy_file_range}: no copy through this process, and extents shared where the
   * filesystem can). Returns the bytes copied, or -errno of the first failure; a filesystem
   * that cannot ({@code EXDEV}, {@code EOPNOTSUPP}, {@code ENOSYS}, {@code EINVAL}) before any
   * byte was copied is reported so the caller can copy another way.
   */
  public static long copyFileRange(int in, int out) {
    long total = 0;
    while (true) {
      long n = Library.LIBC.copy_file_range(in, null, out, null, 1L << 30, 0);
      if (n == 0) {
        return total;
      }
      if (n < 0) {
        return -Posix.errno();
      }
      total += n;
    }
  }

  /** 0 or -errno. */
  public static int fsync(int fd) {
    return Posix.result(Library.LIBC.fsync(fd));
  }

  /** 0 or -errno. */
  public static int fdatasync(int fd) {
    return Posix.result(Library.LIBC.fdatasync(fd));
  }

  /**
   * Flushes the whole filesystem holding {@code dir} (syncfs(2)): one call instead of an fsync per file
   * when a tree of many new files must reach the disk.
   */
  public static void syncfs(Path dir) throws IOException {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    try {
      int r = Posix.result(Library.LIBC.syncfs(fd));
      if (r < 0) {
        throw ErrnoMapper.toException("syncfs", -r, dir.toString(), null);
      }
    } finally {
      close(fd);
    }
  }

  /**
   * Reserves disk blocks for {@code [offset, offset+len)} of {@code file} (posix_fallocate), so that
   * later writes through a memory map cannot fail with SIGBUS on a full disk.
   */
  public static void fallocate(Path file, long offset, long len) throws IOException {
    int fd = open(file, O_RDWR | O_CLOEXEC, 0);
    try {
      int err = Library.LIBC.posix_fallocate(fd, offset, len);
      if (err != 0) {
        throw ErrnoMapper.toException("posix_fallocate", err, file.toString(), null);
      }
    } finally {
      close(fd);
    }
  }

  /**
   * Takes an exclusive {@code flock(2)} lock on {@code fd} without waiting. The lock belongs to the open
   * file description: unlike {@code fcntl} locks (what {@code FileChannel.lock} takes), closing another
   * descriptor of the same file in this process does not drop it, and a second open of the file in this
   * process is refused like one in another process. It goes when {@code fd} is closed or the process dies.
   *
   * @param what names the file in the exception
   * @return true when locked, false when another open file description holds a lock on the file
   */
  public static boolean tryLockExclusive(int fd, String what) throws IOException {
    if (Library.LIBC.flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return true;
    }
    int err = Posix.errno();
    if (err == Errno.EWOULDBLOCK) {
      return false;
    }
    throw ErrnoMapper.toException("flock", err, what, null);
  }

  /** {@code fallocate(2)} with its mode bits (KEEP_SIZE, PUNCH_HOLE, ...): 0 or -errno. */
  public static int fallocate(int fd, int mode, long offset, long len) {
    return Posix.result(Library.LIBC.fallocate(fd, mode, offset, len));
  }

  /** {@code fchmod(2)} of the permission bits: 0 or -errno. */
  public static int fchmod(int fd, int mode) {
    return Posix.result(Library.LIBC.fchmod(fd, mode & 07777));
  }

  /** {@code fchown(2)}: 0 or -errno. */
  public static int fchown(int fd, int uid, int gid) {
    return Posix.result(Library.LIBC.fchown(fd, uid, gid));
  }

  /** 0 or -errno. */
  public static int ftruncate(int fd, long len) {
    return Posix.result(Library.LIBC.ftruncate(fd, len));
  }

  /** 0 or -errno. The descriptor is released even on failure (Linux semantics): do not retry. */
  public static int close(int fd) {
    return Posix.result(Library.LIBC.close(fd));
  }
}
