package org.refcache.fuse;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;

/** Runs a file operation and tells which errno it failed with (0 for success). */
final class Errnos {

  /** A file operation. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  private Errnos() {
  }

  static int of(Action action) {
    try {
      action.run();
      return 0;
    } catch (Exception e) {
      int errno = ErrnoMapper.toErrno(e);
      if (errno != Errno.EIO || !(e instanceof IOException) || e instanceof FileSystemException) {
        return errno;
      }
      // java.io and FileChannel say it in the message: libc's description, after the path in
      // parentheses for java.io ("path (Reason)").
      String message = String.valueOf(e.getMessage());
      int open = message.lastIndexOf(" (");
      String reason = e instanceof FileNotFoundException && open >= 0
          ? message.substring(open + 2, message.length() - 1)
          : message;
      return ErrnoMapper.toErrno(new FileSystemException(null, null, reason));
    }
  }

  /** "0" or the errno's name, for readable assertion messages. */
  static String name(int errno) {
    return errno == 0 ? "0" : ErrnoMapper.name(errno);
  }

  static String nameOf(Action action) {
    return name(of(action));
  }
}
