package org.refcache.posix;

/**
 * What {@code statvfs(3)} says about a filesystem. Counts of blocks are in units of
 * {@code fragmentSize}, as in C; {@link #totalBytes()} and friends do the multiplication.
 *
 * @param blockSize       preferred block size ({@code f_bsize})
 * @param fragmentSize    fundamental block size, the unit of the block counts ({@code f_frsize})
 * @param blocks          size of the filesystem in fragments
 * @param blocksFree      free fragments
 * @param blocksAvailable free fragments available to unprivileged users
 * @param files           number of inodes
 * @param filesFree       free inodes
 * @param filesAvailable  free inodes available to unprivileged users
 * @param fsid            filesystem id
 * @param flags           mount flags ({@code ST_RDONLY = 1}, {@code ST_NOSUID = 2}, ...)
 * @param nameMax         maximum length of a file name
 */
public record StatVfs(long blockSize, long fragmentSize, long blocks, long blocksFree,
                      long blocksAvailable, long files, long filesFree, long filesAvailable,
                      long fsid, long flags, long nameMax) {

  /** {@code f_flag} bit of a read-only mount. */
  public static final long ST_RDONLY = 1;

  public long totalBytes() {
    return blocks * fragmentSize;
  }

  public long freeBytes() {
    return blocksFree * fragmentSize;
  }

  /** Free bytes an unprivileged user may use: what {@code df} shows as available. */
  public long availableBytes() {
    return blocksAvailable * fragmentSize;
  }

  public boolean isReadOnly() {
    return (flags & ST_RDONLY) != 0;
  }
}
