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
 * <p>The times are kept as their seconds and nanoseconds rather than as {@link Instant}s: a
 * mounted union keeps a {@code Stat} for every entry the kernel holds a node of, and three
 * {@code Instant}s each were three more objects (72 bytes) per entry for the collector to trace
 * (docs/PERFORMANCE.md, "The merge walk, third pass"). {@link #atime()} and the like make one on
 * demand.
 *
 * @param atimeSeconds last access, seconds since the epoch
 * @param atimeNanos   its nanoseconds (0 to 999 999 999)
 * @param mtimeSeconds last modification of the content, seconds since the epoch
 * @param mtimeNanos   its nanoseconds
 * @param ctimeSeconds last change of the inode, seconds since the epoch
 * @param ctimeNanos   its nanoseconds
 */
public record Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
                   long blksize, long blocks, long atimeSeconds, int atimeNanos,
                   long mtimeSeconds, int mtimeNanos, long ctimeSeconds, int ctimeNanos) {

  /** A stat with its times given as {@link Instant}s. */
  public Stat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
              long blksize, long blocks, Instant atime, Instant mtime, Instant ctime) {
    this(dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks,
        atime.getEpochSecond(), atime.getNano(), mtime.getEpochSecond(), mtime.getNano(),
        ctime.getEpochSecond(), ctime.getNano());
  }

  /** Last access (a new {@code Instant} each call). */
  public Instant atime() {
    return Instant.ofEpochSecond(atimeSeconds, atimeNanos);
  }

  /** Last modification of the content (a new {@code Instant} each call). */
  public Instant mtime() {
    return Instant.ofEpochSecond(mtimeSeconds, mtimeNanos);
  }

  /** Last change of the inode (a new {@code Instant} each call). */
  public Instant ctime() {
    return Instant.ofEpochSecond(ctimeSeconds, ctimeNanos);
  }

  /** Whether the ctime is {@code seconds} and {@code nanos}. */
  public boolean ctimeIs(long seconds, int nanos) {
    return ctimeSeconds == seconds && ctimeNanos == nanos;
  }

  /** This stat with inode number {@code ino}, link count {@code nlink} and ctime {@code ctime}. */
  public Stat with(long ino, long nlink, long ctimeSeconds, int ctimeNanos) {
    return new Stat(dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks,
        atimeSeconds, atimeNanos, mtimeSeconds, mtimeNanos, ctimeSeconds, ctimeNanos);
  }

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
