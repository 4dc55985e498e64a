package org.refcache.posix;

import java.io.IOException;

/**
 * A failed native call whose errno has no more specific {@code java.nio.file} exception (see
 * {@link ErrnoMapper}). Keeps the errno so the FUSE layer can answer {@code -errno} unchanged.
 */
public class NativeException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int errno;
  private final String call;
  private final String file;
  private final String otherFile;

  /**
   * @param call      the native call that failed, e.g. {@code "lremovexattr(user.x)"}, or null
   * @param errno     its errno
   * @param file      the path it was called on, or null
   * @param otherFile the second path of a two-path call, or null
   */
  public NativeException(String call, int errno, String file, String otherFile) {
    super(ErrnoMapper.describe(call, errno, file, otherFile));
    this.errno = errno;
    this.call = call;
    this.file = file;
    this.otherFile = otherFile;
  }

  public int errno() {
    return errno;
  }

  /** The symbolic name of {@link #errno()}, e.g. {@code "ENODATA"}. */
  public String errnoName() {
    return ErrnoMapper.name(errno);
  }

  /** The native call that failed, or null when not known. */
  public String call() {
    return call;
  }

  public String file() {
    return file;
  }

  public String otherFile() {
    return otherFile;
  }
}
