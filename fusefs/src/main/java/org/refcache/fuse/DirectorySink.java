package org.refcache.fuse;

import org.refcache.posix.Stat;

/** Where a directory listing goes, entry by entry ({@link ViewOperations#list}). */
public interface DirectorySink {

  /** {@code ino} of an entry whose attributes are not given ({@code .}, {@code ..}, refs). */
  long UNKNOWN = -1;

  /**
   * Takes one entry.
   *
   * @param name its name (a byte string, see {@code org.refcache.posix.FileNames})
   * @param ino  its inode number as the view reports it, or {@link #UNKNOWN}
   * @param type its file type bits ({@code Posix.S_IF*}), 0 when {@code ino} is unknown
   * @return false to stop the listing (the transport's buffer is full)
   */
  boolean add(String name, long ino, int type);

  /**
   * Takes one entry with the attributes a lookup of it would answer, where the listing read them
   * already and they can never change (see {@code DirEntry#shown}): a READDIRPLUS then needs no
   * lookup of its own. A sink that has no use for them takes the entry alone.
   *
   * @param shown the entry's attributes, valid as long as its ref exists; null when not known
   */
  default boolean add(String name, long ino, int type, Stat shown) {
    return add(name, ino, type);
  }
}
