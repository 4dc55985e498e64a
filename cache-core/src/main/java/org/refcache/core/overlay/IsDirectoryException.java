package org.refcache.core.overlay;

import java.nio.file.FileSystemException;

/**
 * An operation that needs a non-directory was given a directory ({@code EISDIR}): unlink of a
 * directory, rename of a file over a directory, open for writing or truncate of a directory.
 * {@code java.nio.file} has no such type; the FUSE edge maps it to {@code EISDIR}.
 */
public class IsDirectoryException extends FileSystemException {
  private static final long serialVersionUID = 1L;

  public IsDirectoryException(String file) {
    super(file, null, "Is a directory");
  }
}
