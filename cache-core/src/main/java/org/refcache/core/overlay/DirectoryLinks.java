package org.refcache.core.overlay;

import java.io.IOException;
import java.util.OptionalInt;

/**
 * Link counts of union directories as a plain filesystem gives them ({@code st_nlink} = 2 plus
 * subdirectories), for the FUSE view's {@code getattr}: the real directory that answers for a
 * merged directory counts only its own layer's subdirectories.
 */
public final class DirectoryLinks {

  private DirectoryLinks() {
  }

  /**
   * The link count of the directory at {@code path} of {@code tree} when it is merged from more
   * than one directory; empty when a single directory contributes (its own count is right).
   *
   * @throws java.nio.file.NoSuchFileException   if nothing is at {@code path}
   * @throws java.nio.file.NotDirectoryException if it is not a directory
   */
  public static OptionalInt merged(OverlayTree tree, String path) throws IOException {
    return tree.mergedLinkCount(path);
  }
}
