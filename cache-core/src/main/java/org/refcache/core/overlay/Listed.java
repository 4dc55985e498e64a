package org.refcache.core.overlay;

import java.nio.file.Path;
import org.refcache.posix.Stat;

/**
 * One name of a merged listing ({@link OverlayTree#list}): the topmost entry of that name. Its
 * real file's path is made when asked for, from its directory's: a walk lists every entry and asks
 * for almost none (a {@code Path} each was the largest share of what listing allocated).
 */
final class Listed {
  private final String name;
  private final Path dir;
  private final Path real;
  private final int layerIndex;
  private final Stat stat;

  /**
   * @param dir        the directory it was listed in, if its real file is {@code dir/name}
   * @param real       its real file otherwise (a change set's); null when {@code dir} gives it
   * @param layerIndex the layer of its branch, as {@link Node#layerIndex()}
   * @param stat       {@code lstat} of its real file
   */
  Listed(String name, Path dir, Path real, int layerIndex, Stat stat) {
    this.name = name;
    this.dir = dir;
    this.real = real;
    this.layerIndex = layerIndex;
    this.stat = stat;
  }

  String name() {
    return name;
  }

  /** Its real file, the one {@link OverlayTree#resolve} answers with. */
  Path real() {
    return real != null ? real : dir.resolve(name);
  }

  int layerIndex() {
    return layerIndex;
  }

  Stat stat() {
    return stat;
  }

  /** Whether its real file is {@code file}. */
  boolean isFile(Path file) {
    if (real != null) {
      return real.equals(file);
    }
    Path fileName = file.getFileName();
    return fileName != null && fileName.toString().equals(name) && dir.equals(file.getParent());
  }
}
