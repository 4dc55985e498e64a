package org.refcache.posix;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where errno becomes an exception and an exception becomes errno again.
 *
 * <p>Errnos that {@code java.nio.file} has a type for become that type, so callers handle native
 * and JDK failures alike: ENOENT {@link NoSuchFileException}, EEXIST
 * {@link FileAlreadyExistsException}, ENOTEMPTY {@link DirectoryNotEmptyException}, EACCES and
 * EPERM {@link AccessDeniedException}, ENOTDIR {@link NotDirectoryException}, ELOOP
 * {@link FileSystemLoopException}. Every other errno becomes a {@link NativeException} that
 * carries it. {@link #toErrno(Throwable)} is the inverse used at the FUSE boundary.
 */
public final class ErrnoMapper {

  /** Finds the errno name this class writes into reasons and messages: {@code "EPERM (...)"}. */
  private static final Pattern NAME_IN_REASON = Pattern.compile("\\b(E[A-Z0-9]+) \\(");
  /** Linux errnos are below this; used to enumerate names and messages. */
  private static final int MAX_ERRNO = 134;

  private ErrnoMapper() {
  }

  /** Same as {@link #toException(String, int, String, String)} without naming the call. */
  public static IOException toException(int errno, String file, String otherFile) {
    return toException(null, errno, file, otherFile);
  }

  /**
   * The exception for a native {@code call} on {@code file} (and {@code otherFile}) that failed
   * with {@code errno}. The reason (or message) names the call, the errno and its description.
   */
  public static IOException toException(String call, int errno, String file, String otherFile) {
    String reason = reason(call, errno);
    return switch (errno) {
      case Errno.ENOENT -> new NoSuchFileException(file, otherFile, reason);
      case Errno.EEXIST -> new FileAlreadyExistsException(file, otherFile, reason);
      case Errno.ENOTEMPTY -> new DirectoryNotEmptyException(file);
      case Errno.EACCES, Errno.EPERM -> new AccessDeniedException(file, otherFile, reason);
      case Errno.ENOTDIR -> new NotDirectoryException(file);
      case Errno.ELOOP -> new FileSystemLoopException(file);
      default -> new NativeException(call, errno, file, otherFile);
    };
  }

  /** The symbolic name of {@code errno} ({@code "ENOENT"}), or {@code "errno N"} if Linux has none. */
  public static String name(int errno) {
    String name = Errno.nameOf(errno);
    return name != null ? name : "errno " + errno;
  }

  /** libc's description of {@code errno} ({@code strerror(3)}), e.g. "No such file or directory". */
  public static String description(int errno) {
    return Library.LIBC.strerror(errno);
  }

  /**
   * The errno to answer for {@code t}: the inverse of {@link #toException}, extended to the
   * exceptions {@code java.nio} throws (whose reason is libc's description of the errno). Anything
   * not recognised is EIO.
   */
  public static int toErrno(Throwable t) {
    if (t instanceof NativeException nativeException) {
      return nativeException.errno();
    }
    if (t instanceof UncheckedIOException unchecked && unchecked.getCause() != null) {
      return toErrno(unchecked.getCause());
    }
    if (t instanceof FileSystemException fse) {
      return fileSystemErrno(fse);
    }
    if (t instanceof ReadOnlyFileSystemException) {
      return Errno.EROFS;
    }
    if (t instanceof ClosedChannelException) {
      return Errno.EBADF;
    }
    if (t instanceof InterruptedIOException) {
      return Errno.EINTR;
    }
    return Errno.EIO;
  }

  private static int fileSystemErrno(FileSystemException fse) {
    int fromReason = errnoFromReason(fse.getReason());
    if (fse instanceof NoSuchFileException) {
      return Errno.ENOENT;
    } else if (fse instanceof FileAlreadyExistsException) {
      return Errno.EEXIST;
    } else if (fse instanceof DirectoryNotEmptyException) {
      return Errno.ENOTEMPTY;
    } else if (fse instanceof AccessDeniedException) {
      // Both EPERM and EACCES map to this type; the reason keeps which one it was.
      return fromReason == Errno.EPERM ? Errno.EPERM : Errno.EACCES;
    } else if (fse instanceof NotDirectoryException) {
      return Errno.ENOTDIR;
    } else if (fse instanceof FileSystemLoopException) {
      return Errno.ELOOP;
    } else if (fse instanceof NotLinkException) {
      return Errno.EINVAL;
    } else if (fse instanceof AtomicMoveNotSupportedException) {
      return Errno.EXDEV;
    }
    return fromReason > 0 ? fromReason : Errno.EIO;
  }

  /** The errno named in a reason written by this class, or described by libc in one from the JDK. */
  private static int errnoFromReason(String reason) {
    if (reason == null) {
      return 0;
    }
    Matcher named = NAME_IN_REASON.matcher(reason);
    if (named.find()) {
      Integer errno = ReasonIndex.BY_NAME.get(named.group(1));
      if (errno != null) {
        return errno;
      }
    }
    Integer errno = ReasonIndex.BY_DESCRIPTION.get(reason);
    return errno != null ? errno : 0;
  }

  static String reason(String call, int errno) {
    String what = name(errno) + " (" + description(errno) + ")";
    return call == null ? what : call + ": " + what;
  }

  static String describe(String call, int errno, String file, String otherFile) {
    StringBuilder message = new StringBuilder();
    // Names are escaped: this message reaches logs and clients, and a name can hold a newline.
    if (call != null) {
      message.append(Printable.line(call));
    }
    if (file != null) {
      message.append(message.length() > 0 ? " " : "").append(Printable.name(file));
      if (otherFile != null) {
        message.append(" -> ").append(Printable.name(otherFile));
      }
    }
    if (message.length() > 0) {
      message.append(": ");
    }
    return message.append(name(errno)).append(" (").append(description(errno)).append(')')
        .toString();
  }

  /** Reverse lookups, built on first need: only failures that reach the FUSE boundary use them. */
  private static final class ReasonIndex {
    static final Map<String, Integer> BY_NAME = new HashMap<>();
    static final Map<String, Integer> BY_DESCRIPTION = new HashMap<>();

    static {
      for (int errno = 1; errno < MAX_ERRNO; errno++) {
        String name = Errno.nameOf(errno);
        if (name != null) {
          BY_NAME.put(name, errno);
          BY_DESCRIPTION.putIfAbsent(description(errno), errno);
        }
      }
      // glibc's names for the aliases, in case a reason came from strerrorname_np.
      BY_NAME.put("ENOTSUP", Errno.ENOTSUP);
      BY_NAME.put("EWOULDBLOCK", Errno.EWOULDBLOCK);
      BY_NAME.put("EDEADLOCK", Errno.EDEADLOCK);
    }
  }
}
