package org.refcache.posix;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * A name the kernel accepts for a path of any length. A path shorter than {@link #PATH_MAX} bytes
 * is its own name. A longer one, which every path-taking system call refuses with
 * {@code ENAMETOOLONG}, is reached through its parent directory: that directory is opened
 * ({@code O_PATH}) piece by piece, each piece under the limit, and the path is named
 * {@code /proc/self/fd/<fd>/<last component>}, which the kernel resolves like the original path.
 *
 * <p>Why it is needed: the view stores a writable ref's files at {@code <upper>/<path>}, so a
 * path a caller may legally use inside the ref (up to {@code PATH_MAX - 1} bytes, relative to a
 * directory it is in) can be longer than {@code PATH_MAX} once the upper's own path is in front
 * of it.
 *
 * <p>An {@link AutoCloseable}: closing releases the descriptor (nothing for a short path). Read
 * {@code errno} of a call made with {@link #name()} before closing, as {@code close(2)} can
 * overwrite it. The intermediate components are followed if they are symlinks, as a path-taking
 * call would follow them.
 */
public final class ShortPath implements AutoCloseable {

  /** Linux's limit on a path handed to a system call, its terminating NUL included. */
  public static final int PATH_MAX = 4096;

  private static final int O_PATH = 010000000;
  private static final String PROC_FD = "/proc/self/fd/";
  /** UTF-8 needs at most three bytes per UTF-16 unit, so a string this short always fits. */
  private static final int SURELY_SHORT_CHARS = (PATH_MAX - 1) / 3;

  private final String name;
  private final int dirFd;

  private ShortPath(String name, int dirFd) {
    this.name = name;
    this.dirFd = dirFd;
  }

  /** A name for {@code path}; see {@link #of(String)}. */
  public static ShortPath of(Path path) throws IOException {
    return of(path.toString());
  }

  /**
   * A name for {@code path} that is shorter than {@link #PATH_MAX} bytes.
   *
   * @throws IOException for the errno of opening a directory on the way (ENOENT, ENOTDIR,
   *                     EACCES...), as the call on the original path would have failed
   */
  public static ShortPath of(String path) throws IOException {
    if (fits(path)) {
      return new ShortPath(path, -1);
    }
    int slash = path.lastIndexOf('/');
    String last = path.substring(slash + 1);
    if (slash <= 0 || last.isEmpty() || !fits(last)) {
      // No parent to open, or a last component that is itself too long: the kernel's own answer.
      throw ErrnoMapper.toException("open", Errno.ENAMETOOLONG, path, null);
    }
    int fd = openDirectory(path, path.substring(0, slash));
    return new ShortPath(PROC_FD + fd + "/" + last, fd);
  }

  /** Whether {@code path} can be handed to a system call as it is. */
  public static boolean fits(String path) {
    return path.length() <= SURELY_SHORT_CHARS || bytes(path) < PATH_MAX;
  }

  /** Opens directory {@code dir} with {@code O_PATH}, in pieces of under {@link #PATH_MAX}. */
  private static int openDirectory(String original, String dir) throws IOException {
    int fd = Posix.AT_FDCWD;
    int start = 0;
    while (start < dir.length()) {
      int end = pieceEnd(dir, start);
      if (end <= start) {
        closeQuietly(fd);
        throw ErrnoMapper.toException("open", Errno.ENAMETOOLONG, original, null);
      }
      String piece = dir.substring(start, end);
      int next = Library.LIBC.openat(fd, piece.isEmpty() ? "/" : piece,
          O_PATH | Posix.O_DIRECTORY | Posix.O_CLOEXEC, 0);
      if (next < 0) {
        int errno = Posix.errno();
        closeQuietly(fd);
        throw ErrnoMapper.toException("open", errno, original, null);
      }
      closeQuietly(fd);
      fd = next;
      start = end;
      while (start < dir.length() && dir.charAt(start) == '/') {
        start++;
      }
    }
    return fd;
  }

  /**
   * The end of the longest piece of {@code dir} from {@code start} that fits and ends at a
   * component boundary (the end of {@code dir} or just before a {@code /}).
   */
  private static int pieceEnd(String dir, int start) {
    if (fits(dir.substring(start))) {
      return dir.length();
    }
    int best = start;
    int slash = dir.indexOf('/', start + 1);
    while (slash > 0 && fits(dir.substring(start, slash))) {
      best = slash;
      slash = dir.indexOf('/', slash + 1);
    }
    // An absolute path's first piece is at least "/": a root-only piece is "" up to index 0.
    return best == start && start == 0 && dir.startsWith("/") ? 1 : best;
  }

  private static int bytes(String s) {
    // jnr-ffi encodes String arguments in the default charset: measure in the same one.
    return s.getBytes(Charset.defaultCharset()).length;
  }

  private static void closeQuietly(int fd) {
    if (fd >= 0) {
      Library.LIBC.close(fd);
    }
  }

  /** The name to hand to a system call: the path itself, or its {@code /proc/self/fd} form. */
  public String name() {
    return name;
  }

  /** {@link #name()} as a {@link Path}, for {@code java.nio.file} calls. */
  public Path path() {
    return Path.of(name);
  }

  @Override
  public void close() {
    closeQuietly(dirFd);
    // the descriptor is gone even if close failed (Linux): never retried
  }
}
