package org.refcache.posix;

import java.time.Instant;

/**
 * What {@code lstat(2)} says about a file, with nanosecond times. Unlike {@code java.nio}'s
 * attribute views it keeps {@code rdev}, the full mode (setuid/setgid/sticky) and the file type,
 * which whiteouts (character devices 0/0) and device nodes in layers need.
 *
 * @param dev     device of the filesystem holding the file
 * @param ino     inode number
 * @param mode    file type and permission bits ({@code st_mode})
 * @param nlink   number of hard links
 * @param uid     owner
 * @param gid     group
 * @param rdev    device number of a character or block device, see {@link Posix#major(long)}
 * @param size    size in bytes
 * @param blksize preferred I/O block size
 * @param blocks  number of 512-byte blocks allocated
 * @param atime   last access
 * @param mtime   last modification of the content
 * @param ctime   last change of the inode
 */
public record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
                   long blksize, long blocks, Instant atime, Instant mtime, Instant ctime) {

  /** The file type bits, one of {@code Posix.S_IF*}. */
  public int type() {
    return mode & Posix.S_IFMT;
  }

  /** Permission bits including setuid, setgid and sticky ({@code mode & 07777}). */
  public int permissions() {
    return mode & 07777;
  }

  public boolean isDirectory() {
    return type() == Posix.S_IFDIR;
  }

  public boolean isRegularFile() {
    return type() == Posix.S_IFREG;
  }

  public boolean isSymlink() {
    return type() == Posix.S_IFLNK;
  }

  public boolean isCharDevice() {
    return type() == Posix.S_IFCHR;
  }

  public boolean isBlockDevice() {
    return type() == Posix.S_IFBLK;
  }

  public boolean isFifo() {
    return type() == Posix.S_IFIFO;
  }

  public boolean isSocket() {
    return type() == Posix.S_IFSOCK;
  }

  /** An overlay whiteout: a character device with device number 0/0. */
  public boolean isWhiteout() {
    return isCharDevice() && rdev == 0;
  }
}
