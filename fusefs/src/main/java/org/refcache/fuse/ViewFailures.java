package org.refcache.fuse;

import org.refcache.core.overlay.IsDirectoryException;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where what the view threw becomes the errno a transport answers: both transports
 * send every failure of a {@link ViewOperations} call here. {@code java.nio.file} exceptions and
 * {@code NativeException}s become their errno quietly; anything that maps to {@code EIO} (a bug,
 * a failed lazy fetch) is logged with its class at WARN and its stack at DEBUG. No exception ever
 * reaches a transport's loop.
 */
public final class ViewFailures {

  private static final Logger LOG = LoggerFactory.getLogger(ViewFailures.class);

  private ViewFailures() {
  }

  /**
   * The errno (positive) to answer for {@code failure} of {@code operation} on {@code subject}
   * (a path or a handle, only printed when logged).
   */
  public static int errno(String operation, Object subject, Throwable failure) {
    int errno = failure instanceof IsDirectoryException ? Errno.EISDIR
        : ErrnoMapper.toErrno(failure);
    if (errno == Errno.EIO) {
      LOG.warn("{} {} failed: {}", operation, Printable.name(String.valueOf(subject)), Printable.line(failure.toString()));
      LOG.debug("{} {} failed", operation, Printable.name(String.valueOf(subject)), failure);
    } else if (LOG.isTraceEnabled()) {
      LOG.trace("{} {}: {}", operation, Printable.name(String.valueOf(subject)), ErrnoMapper.name(errno), failure);
    }
    return errno;
  }
}
