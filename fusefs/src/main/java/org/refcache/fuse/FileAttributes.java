package org.refcache.fuse;

import java.time.Instant;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A file's attributes as {@code lstat(2)} gives them: a {@code struct stat} (x86_64 glibc) in
 * native memory, which the view fills (with what a tree says a path shows, or the attributes of
 * the mount's own directories) and a transport copies into its reply. Mutable and reused: the
 * kernel transport keeps one per worker thread (no native allocation per request), libfuse hands
 * in its own {@code struct stat} ({@link #over}).
 */
public final class FileAttributes {

  /** Bytes allocated: {@code struct stat} is {@value Posix#STAT_SIZE}, with room to spare. */
  private static final int SIZE = 256;

  private static final int DEV = 0;
  private static final int INO = 8;
  private static final int NLINK = 16;
  private static final int MODE = 24;
  private static final int UID = 28;
  private static final int GID = 32;
  private static final int RDEV = 40;
  private static final int SIZE_OFFSET = 48;
  private static final int BLKSIZE = 56;
  private static final int BLOCKS = 64;
  private static final int ATIME = 72;
  private static final int MTIME = 88;
  private static final int CTIME = 104;

  private final Pointer memory;
  private final int clearedBytes;

  private FileAttributes(Pointer memory, int clearedBytes) {
    this.memory = memory;
    this.clearedBytes = clearedBytes;
  }

  /** Attributes in memory of their own (one per thread that reuses them). */
  public static FileAttributes allocate() {
    return new FileAttributes(Memory.allocateDirect(Runtime.getSystemRuntime(), SIZE, true), SIZE);
  }

  /** Attributes written into {@code statMemory}, someone else's {@code struct stat}. */
  public static FileAttributes over(Pointer statMemory) {
    return new FileAttributes(statMemory, Posix.STAT_SIZE);
  }

  /** Sets every field to {@code stat}'s: what a tree says a path shows. */
  void set(Stat stat) {
    memory.putLong(DEV, stat.dev());
    memory.putLong(INO, stat.ino());
    memory.putLong(NLINK, stat.nlink());
    memory.putInt(MODE, stat.mode());
    memory.putInt(UID, stat.uid());
    memory.putInt(GID, stat.gid());
    memory.putLong(RDEV, stat.rdev());
    memory.putLong(SIZE_OFFSET, stat.size());
    memory.putLong(BLKSIZE, stat.blksize());
    memory.putLong(BLOCKS, stat.blocks());
    putTime(ATIME, stat.atimeSeconds(), stat.atimeNanos());
    putTime(MTIME, stat.mtimeSeconds(), stat.mtimeNanos());
    putTime(CTIME, stat.ctimeSeconds(), stat.ctimeNanos());
  }

  /** Sets every field to 0; returns this. */
  public FileAttributes clear() {
    memory.setMemory(0, clearedBytes, (byte) 0);
    return this;
  }

  public long dev() {
    return memory.getLong(DEV);
  }

  public long ino() {
    return memory.getLong(INO);
  }

  public long nlink() {
    return memory.getLong(NLINK);
  }

  /** File type and permission bits. */
  public int mode() {
    return memory.getInt(MODE);
  }

  public boolean isDirectory() {
    return (mode() & Posix.S_IFMT) == Posix.S_IFDIR;
  }

  public int uid() {
    return memory.getInt(UID);
  }

  public int gid() {
    return memory.getInt(GID);
  }

  public long rdev() {
    return memory.getLong(RDEV);
  }

  public long size() {
    return memory.getLong(SIZE_OFFSET);
  }

  public long blksize() {
    return memory.getLong(BLKSIZE);
  }

  public long blocks() {
    return memory.getLong(BLOCKS);
  }

  public long atimeSeconds() {
    return memory.getLong(ATIME);
  }

  public int atimeNanos() {
    return (int) memory.getLong(ATIME + 8);
  }

  public long mtimeSeconds() {
    return memory.getLong(MTIME);
  }

  public int mtimeNanos() {
    return (int) memory.getLong(MTIME + 8);
  }

  public long ctimeSeconds() {
    return memory.getLong(CTIME);
  }

  public int ctimeNanos() {
    return (int) memory.getLong(CTIME + 8);
  }

  void setDev(long dev) {
    memory.putLong(DEV, dev);
  }

  void setIno(long ino) {
    memory.putLong(INO, ino);
  }

  void setNlink(long nlink) {
    memory.putLong(NLINK, nlink);
  }

  void setMode(int mode) {
    memory.putInt(MODE, mode);
  }

  void setOwner(int uid, int gid) {
    memory.putInt(UID, uid);
    memory.putInt(GID, gid);
  }

  void setRdev(long rdev) {
    memory.putLong(RDEV, rdev);
  }

  void setSize(long size) {
    memory.putLong(SIZE_OFFSET, size);
  }

  void setBlksize(long blksize) {
    memory.putLong(BLKSIZE, blksize);
  }

  void setBlocks(long blocks) {
    memory.putLong(BLOCKS, blocks);
  }

  void setAtime(Instant time) {
    putTime(ATIME, time);
  }

  void setMtime(Instant time) {
    putTime(MTIME, time);
  }

  void setCtime(Instant time) {
    putTime(CTIME, time);
  }

  private void putTime(int offset, Instant time) {
    putTime(offset, time.getEpochSecond(), time.getNano());
  }

  private void putTime(int offset, long seconds, int nanos) {
    memory.putLong(offset, seconds);
    memory.putLong(offset + 8, nanos);
  }
}
