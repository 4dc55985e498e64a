package org.refcache.core.overlay;

import java.nio.file.Path;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * One resolved entry of a union: the real file that answers for a path.
 *
 * <p>For a directory merged from several layers, {@code real} and {@code stat} are those of the
 * topmost directory (overlayfs rule); its children are listed by {@link OverlayTree#list}.
 * Reads (lstat, open, pread, readlink) go to {@code real}; a node with {@code layerIndex >= 0}
 * lives in an immutable layer and must never be written. What the union shows for the path
 * ({@code st_ino}, ctime, link count) is {@link OverlayTree#attributes}: {@code stat} is the real
 * file's.
 *
 * @param path       the path in the union ({@code ""} is the root)
 * @param real       the file in its layer that answers for {@code path}
 * @param layerIndex 0 for the topmost lower layer, 1 for the next, ...; {@link #UPPER} for the
 *                   writable upper of a {@link WritableOverlayTree}
 * @param stat       {@code lstat} of {@code real} when it was resolved
 * @param ino        the inode number the union reports for the entry: {@code real}'s own, or
 *                   for a copy made by a copy-up (or a move), the number of the file it was
 *                   copied from ({@link OriginInodes}); equal numbers in one tree mean one file
 */
public record Node(String path, Path real, int layerIndex, Stat stat, long ino) {

  /** The {@link #layerIndex} of the upper layer. */
  public static final int UPPER = -1;

  public boolean isDirectory() {
    return stat.isDirectory();
  }

  public boolean isRegularFile() {
    return stat.isRegularFile();
  }

  public boolean isSymlink() {
    return stat.isSymlink();
  }

  /** The file type, one of {@code Posix.S_IF*}. */
  public int type() {
    return stat.mode() & Posix.S_IFMT;
  }

  /** Whether this node lives in the writable upper (it may be changed in place). */
  public boolean isUpper() {
    return layerIndex == UPPER;
  }
}
