package org.refcache.core.overlay;

import java.nio.file.Path;
import java.util.Objects;
import org.refcache.posix.Stat;

/**
 * One name in a merged directory listing. Its real file's path is made when asked for (a walk
 * lists every entry and asks for almost none).
 */
public final class DirEntry {
  private final String name;
  private final int type;
  private final Listed listed;
  private final Path real;
  private final long ino;
  private final Stat shown;

  /**
   * @param name  the entry's name (no {@code '/'})
   * @param type  the file type bits of the topmost entry of that name ({@code Posix.S_IF*})
   * @param real  the topmost entry of that name, the one {@link OverlayTree#resolve} answers with
   * @param ino   the inode number the union reports for the entry ({@link Node#ino()}), as
   *              {@code d_ino} (saves the FUSE view a lookup per entry)
   * @param shown what {@link OverlayTree#attributes} shows for the entry, where the listing read
   *              it already and it can never change (a non-directory of a read-only tree); else
   *              null. A walk that lists and stats ({@code READDIRPLUS}) then needs no lookup per
   *              entry.
   */
  public DirEntry(String name, int type, Path real, long ino, Stat shown) {
    this.name = Objects.requireNonNull(name);
    this.type = type;
    this.listed = null;
    this.real = Objects.requireNonNull(real);
    this.ino = ino;
    this.shown = shown;
  }

  /** An entry whose attributes the listing does not give. */
  public DirEntry(String name, int type, Path real, long ino) {
    this(name, type, real, ino, null);
  }

  /** The merged listing's {@code entry}, reported with {@code ino}. */
  DirEntry(Listed entry, long ino, Stat shown) {
    this.name = entry.name();
    this.type = entry.stat().type();
    this.listed = entry;
    this.real = null;
    this.ino = ino;
    this.shown = shown;
  }

  public String name() {
    return name;
  }

  public int type() {
    return type;
  }

  /** The topmost entry of that name, the one {@link OverlayTree#resolve} answers with. */
  public Path real() {
    return real != null ? real : listed.real();
  }

  public long ino() {
    return ino;
  }

  /** See the constructor; null when the listing does not give them. */
  public Stat shown() {
    return shown;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DirEntry e && e.name.equals(name) && e.type == type && e.ino == ino
        && e.real().equals(real()) && Objects.equals(e.shown, shown);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, ino);
  }

  @Override
  public String toString() {
    return "DirEntry[name=" + name + ", type=" + Integer.toOctalString(type) + ", real=" + real()
        + ", ino=" + ino + "]";
  }
}
