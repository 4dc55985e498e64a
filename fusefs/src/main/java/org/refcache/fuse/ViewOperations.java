package org.refcache.fuse;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import jnr.ffi.Pointer;
import org.refcache.posix.StatVfs;

/**
 * What the mount shows, as operations on typed places ({@link MountPath}: a ref's tree and a
 * path inside it) and open files (handles): the one seam between the view and the two ways the
 * kernel's requests reach it, the FUSE protocol on {@code /dev/fuse} ({@link KernelBridge}) and
 * libfuse 2.9 through jnr-fuse ({@code org.refcache.fuse.libfuse}).
 *
 * <p>Failures are exceptions ({@code java.nio.file}'s, {@code NativeException}s, with
 * {@code IsDirectoryException} for EISDIR); a transport turns them into errno in one place,
 * {@link ViewFailures#errno}. Expected absences are results, not exceptions: a missing name is a
 * missing {@link Entry}, a missing extended attribute an empty {@code Optional}. Nothing here
 * knows a transport's structures.
 *
 * <p>Called from many threads at once. Operations that create entries take the {@link Caller},
 * who owns what they create. Names and paths are byte strings
 * ({@code org.refcache.posix.FileNames}).
 */
public interface ViewOperations {

  // ---- names and attributes ----

  /**
   * The attributes of {@code at} (into {@code into}) and how long they and the name may be
   * cached; a missing name is {@link Entry#missing}. The root's answer is the mount's readiness
   * signal.
   */
  Entry lookup(MountPath at, FileAttributes into) throws IOException;

  /** The attributes of open file {@code handle}, by its descriptor (it may have no name). */
  Entry attributes(long handle, FileAttributes into) throws IOException;

  /** The target of symlink {@code at}, byte for byte. */
  String readlink(MountPath at) throws IOException;

  /** Checks that {@code at} exists and, for {@code W_OK} in {@code mask}, may change. */
  void access(MountPath at, int mask) throws IOException;

  /** Capacity of the file system that holds {@code at}'s files. */
  StatVfs capacity(MountPath at) throws IOException;

  // ---- directories ----

  /**
   * Checks that {@code at} is a directory to list.
   *
   * @return whether its listing can never change (the kernel may keep it)
   */
  boolean openDirectory(MountPath at) throws IOException;

  /** Lists directory {@code at}, {@code .} and {@code ..} first, into {@code into}. */
  void list(MountPath at, DirectorySink into) throws IOException;

  /**
   * Lists directory {@code at} ahead of a walk that is about to read it, if its listing can never
   * change, so that it is ready when asked ({@link DirectoryReadAhead}); nothing is answered and
   * failures are left for the walk's own listing to meet. By default nothing.
   */
  default void readAhead(MountPath at) {
  }

  /** Makes what was written in directory {@code at} durable. */
  void syncDirectory(MountPath at) throws IOException;

  void mkdir(MountPath at, int mode, Caller caller) throws IOException;

  void rmdir(MountPath at) throws IOException;

  // ---- names ----

  void mknod(MountPath at, int mode, long rdev, Caller caller) throws IOException;

  void symlink(MountPath at, String target, Caller caller) throws IOException;

  void link(MountPath existing, MountPath at) throws IOException;

  void unlink(MountPath at) throws IOException;

  /**
   * Unlinks {@code at}, a file that is open, keeping the file reachable until {@link
   * #forgetUnlinked}: its attributes, mode and times through the returned place
   * ({@link MountPath.Kind#UNLINKED}), its data through its open handles.
   */
  MountPath unlinkOpen(MountPath at) throws IOException;

  /** {@code renameat2(2)} with its flags (0, {@code RENAME_NOREPLACE}, {@code RENAME_EXCHANGE}). */
  void rename(MountPath from, MountPath to, int flags) throws IOException;

  /**
   * A plain {@code rename(2)} over {@code to}, a file that is open: on success the replaced file
   * stays reachable as {@link #unlinkOpen} keeps it, at the returned place (null if nothing was
   * replaced, or a directory); on failure nothing changed.
   */
  MountPath renameOverOpen(MountPath from, MountPath to) throws IOException;

  /** The last open file of unlinked file {@code unlinked} was released: it goes. */
  void forgetUnlinked(MountPath unlinked);

  // ---- attributes ----

  void chmod(MountPath at, int mode) throws IOException;

  /**
   * Changes owner and group; -1 leaves one as it is, and {@code chown(-1, -1)} changes only the
   * ctime.
   */
  void chown(MountPath at, int uid, int gid) throws IOException;

  /** Sets the times; null leaves a time as it is. */
  void utimens(MountPath at, Instant atime, Instant mtime) throws IOException;

  void truncate(MountPath at, long size) throws IOException;

  Optional<byte[]> getxattr(MountPath at, String name) throws IOException;

  List<String> listxattr(MountPath at) throws IOException;

  void setxattr(MountPath at, String name, byte[] value, int flags) throws IOException;

  void removexattr(MountPath at, String name) throws IOException;

  // ---- open files ----

  /** Opens file {@code at} with {@code open(2)} flags. */
  Opened open(MountPath at, int flags) throws IOException;

  /** Creates and opens file {@code at}, as {@code open(O_CREAT)} with {@code flags}. */
  Opened create(MountPath at, int mode, int flags, Caller caller) throws IOException;

  /** Reads up to {@code size} bytes at {@code offset} into {@code buffer}: how many it read. */
  int read(long handle, Pointer buffer, int size, long offset) throws IOException;

  /** Writes {@code size} bytes from {@code buffer} at {@code offset}: how many it wrote. */
  int write(long handle, Pointer buffer, int size, long offset) throws IOException;

  void truncate(long handle, long size) throws IOException;

  /**
   * Clears the setuid bit, and the setgid bit of a group-executable file, of open file
   * {@code handle}: what a write or truncation by a caller without {@code CAP_FSETID} does to a
   * file (the daemon's own writes, as root, would keep them).
   */
  void dropSetIds(long handle) throws IOException;

  /** {@code fallocate(2)} with its mode bits. */
  void fallocate(long handle, int mode, long offset, long length) throws IOException;

  void sync(long handle, boolean dataOnly) throws IOException;

  /** Closes open file {@code handle}. */
  void release(long handle) throws IOException;
}
