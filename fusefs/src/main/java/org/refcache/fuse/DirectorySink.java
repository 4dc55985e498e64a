package org.refcache.fuse;

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
}
