package org.refcache.posix;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;

/**
 * The POSIX calls {@code java.nio} lacks, for x86_64 Linux, on paths: file metadata
 * ({@code lstat}, modes, owners, times, {@code statvfs}), names (links, nodes, directories,
 * {@code renameat2}, listing), and the constants of modes and open flags. Three classes beside it
 * hold the other groups: {@link Descriptors} (calls on file descriptors, the FUSE hot path's I/O),
 * {@link Xattrs} (extended attributes) and {@link Mounting} (mount and unmount).
 *
 * <p>Path-level calls throw the exception {@link ErrnoMapper} maps the errno to. libc is loaded on
 * first use (see {@code Library}).
 *
 * <p>Paths are passed as {@code Path.toString()}, encoded by jnr-ffi in the default charset, which
 * on Java 17 is the one {@code java.nio} uses for file names too.
 */
public final class Posix {

  /** Mask of the file type bits of a mode. */
  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;
  public static final int S_ISUID = 04000;
  public static final int S_ISGID = 02000;
  public static final int S_ISVTX = 01000;

  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 01;
  public static final int O_RDWR = 02;
  /** Mask of the access mode ({@link #O_RDONLY}, {@link #O_WRONLY}, {@link #O_RDWR}) of flags. */
  public static final int O_ACCMODE = 03;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_NONBLOCK = 04000;
  public static final int O_DIRECTORY = 0200000;
  public static final int O_NOFOLLOW = 0400000;
  public static final int O_CLOEXEC = 02000000;

  /** {@link #renameat2}: fail with EEXIST instead of replacing the target. */
  public static final int RENAME_NOREPLACE = 1;
  /** {@link #renameat2}: atomically swap source and target. */
  public static final int RENAME_EXCHANGE = 2;
  /** {@link #renameat2}: leave an overlay whiteout (char device 0/0) where the source was. */
  public static final int RENAME_WHITEOUT = 4;

  /** Size of {@code struct stat} on x86_64, what {@code lstat(2)} writes. */
  public static final int STAT_SIZE = 144;

  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  /** {@code tv_nsec} value that tells utimensat to leave a time as it is. */
  static final long UTIME_OMIT = (1L << 30) - 2;

  /**
   * Per thread, the {@code struct stat} {@link #lstat} fills, in native memory allocated once: the
   * union trees and the view call it for every path they answer, and a new buffer per call (on the
   * heap, copied to native memory and back by jnr-ffi) costs as much as the system call.
   */
  private static final ThreadLocal<Library.StatBuf> STAT_BUFFERS = ThreadLocal.withInitial(() -> {
    Library.StatBuf buf = new Library.StatBuf(Library.RUNTIME);
    buf.useMemory(Memory.allocateDirect(Library.RUNTIME, Struct.size(buf), true));
    return buf;
  });

  /**
   * Per thread, a path for {@link #lstatChild} in native memory allocated once: jnr-ffi would
   * encode a {@code String} argument into new heap buffers at every call (in a walk, one per entry
   * listed: the largest share of what the daemon allocated).
   */
  private static final ThreadLocal<Pointer> PATH_BUFFERS = ThreadLocal.withInitial(
      () -> Memory.allocateDirect(Library.RUNTIME, ShortPath.PATH_MAX, true));

  private Posix() {
  }

  /** A device number from major and minor, in glibc's encoding ({@code makedev(3)}). */
  public static long makedev(int major, int minor) {
    long ma = Integer.toUnsignedLong(major);
    long mi = Integer.toUnsignedLong(minor);
    return ((ma & 0x00000fffL) << 8) | ((ma & 0xfffff000L) << 32)
        | (mi & 0x000000ffL) | ((mi & 0xffffff00L) << 12);
  }

  public static int major(long dev) {
    return (int) (((dev >>> 8) & 0x00000fffL) | ((dev >>> 32) & 0xfffff000L));
  }

  public static int minor(long dev) {
    return (int) ((dev & 0x000000ffL) | ((dev >>> 12) & 0xffffff00L));
  }

  /** Changes owner and group of {@code p} itself, not of what a symlink points to. */
  public static void lchown(Path p, int uid, int gid) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().lchown(at.name(), uid, gid), "lchown", path);
    }
  }

  /**
   * Creates symlink {@code link} pointing at {@code target} byte for byte; {@code Files.createSymbolicLink}
   * would normalize the target as a path ({@code a//b/} becomes {@code a/b}).
   */
  public static void symlink(String target, Path link) throws IOException {
    String path = link.toString();
    try (ShortPath at = ShortPath.of(path)) {
      if (libc().symlink(target, at.name()) != 0) {
        throw ErrnoMapper.toException("symlink", errno(), path, target);
      }
    }
  }

  /** The target of symlink {@code link}, exactly as stored (no path normalization). */
  public static String readlink(Path link) throws IOException {
    String path = link.toString();
    try (ShortPath at = ShortPath.of(path)) {
      return readlink(path, at.name());
    }
  }

  private static String readlink(String path, String name) throws IOException {
    byte[] buf = new byte[256];
    while (true) {
      long n = libc().readlink(name, buf, buf.length);
      if (n < 0) {
        throw ErrnoMapper.toException("readlink", errno(), path, null);
      }
      if (n < buf.length) {
        // The charset jnr-ffi encodes String arguments in, so the target goes back as it came.
        return new String(buf, 0, (int) n, Charset.defaultCharset());
      }
      // Possibly truncated: readlink does not say, so retry larger (PATH_MAX bounds it in practice).
      buf = new byte[buf.length * 2];
    }
  }

  /**
   * Sets all mode bits 07777, setuid, setgid and sticky included, which
   * {@code Files.setPosixFilePermissions} cannot. Follows symlinks, like {@code chmod(2)}.
   */
  public static void chmod(Path p, int mode) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().chmod(at.name(), mode & 07777), "chmod", path);
    }
  }

  /**
   * Creates a node of the type in {@code mode}'s {@code S_IF*} bits: a device ({@code dev} from
   * {@link #makedev}), a FIFO or an empty regular file. The umask applies to the permissions.
   */
  public static void mknod(Path p, int mode, long dev) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      int rc = Library.LEGACY_STAT
          ? libc().__xmknod(Library.MKNOD_VER, at.name(), mode, new long[] {dev})
          : libc().mknod(at.name(), mode, dev);
      check(rc, "mknod", path);
    }
  }

  /** Creates a FIFO with permissions {@code perm} (less the umask). */
  public static void mkfifo(Path p, int perm) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().mkfifo(at.name(), perm), "mkfifo", path);
    }
  }

  /**
   * Sets access and modification times to the nanosecond ({@code utimensat(2)}).
   *
   * @param atime    new access time, or null to leave it unchanged
   * @param mtime    new modification time, or null to leave it unchanged
   * @param noFollow change a symlink itself rather than its target
   */
  public static void utimens(Path p, Instant atime, Instant mtime, boolean noFollow)
      throws IOException {
    long[] times = new long[4];
    timespec(atime, times, 0);
    timespec(mtime, times, 2);
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      int rc = libc().utimensat(AT_FDCWD, at.name(), times, noFollow ? AT_SYMLINK_NOFOLLOW : 0);
      check(rc, "utimensat", path);
    }
  }

  private static void timespec(Instant time, long[] times, int at) {
    if (time == null) {
      times[at] = 0;
      times[at + 1] = UTIME_OMIT;
    } else {
      times[at] = time.getEpochSecond();
      times[at + 1] = time.getNano();
    }
  }

  /** Creates directory {@code p} with {@code mode} (less the umask); fails if anything is there. */
  public static void mkdir(Path p, int mode) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().mkdir(at.name(), mode), "mkdir", path);
    }
  }

  /** Removes the non-directory {@code p} (a symlink itself, not its target). */
  public static void unlink(Path p) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().unlink(at.name()), "unlink", path);
    }
  }

  /** Removes the empty directory {@code p}. */
  public static void rmdir(Path p) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().rmdir(at.name()), "rmdir", path);
    }
  }

  /** Removes {@code p} whatever it is, an empty directory included (as {@code Files.delete}). */
  public static void delete(Path p) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      if (libc().unlink(at.name()) == 0) {
        return;
      }
      int errno = errno();
      if (errno != Errno.EISDIR) {
        throw ErrnoMapper.toException("unlink", errno, path, null);
      }
      check(libc().rmdir(at.name()), "rmdir", path);
    }
  }

  /** Makes {@code link} a new name of {@code existing} (a symlink itself is linked, as link(2)). */
  public static void link(Path existing, Path link) throws IOException {
    String from = existing.toString();
    String to = link.toString();
    try (ShortPath a = ShortPath.of(from); ShortPath b = ShortPath.of(to)) {
      if (libc().link(a.name(), b.name()) != 0) {
        throw ErrnoMapper.toException("link", errno(), to, from);
      }
    }
  }

  /** {@code O_NOATIME}: reading does not update the file's atime (owner or CAP_FOWNER only). */
  static final int O_NOATIME = 01000000;

  /**
   * A directory stream on {@code name} opened with {@link #O_NOATIME} where allowed, so that
   * reading it leaves its atime alone; null with errno set on failure.
   */
  private static Pointer openDirectoryStream(String name) {
    int fd = libc().open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME, 0);
    if (fd < 0 && errno() == Errno.EPERM) {
      return libc().opendir(name); // not the owner, without CAP_FOWNER
    }
    if (fd < 0) {
      return null;
    }
    Pointer stream = libc().fdopendir(fd);
    if (stream == null) {
      int saved = errno();
      libc().close(fd);
      Library.RUNTIME.setLastError(saved);
    }
    return stream;
  }

  /**
   * The names in directory {@code dir} but {@code .} and {@code ..}, in the directory's order,
   * decoded in the charset jnr-ffi encodes String arguments in: a name read here and handed back
   * to any call of this class names the same file, whatever its bytes.
   */
  public static List<String> list(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    listTyped(dir, (name, type) -> names.add(name));
    return names;
  }

  /** {@code d_type} of an entry whose filesystem does not tell its type in a listing. */
  public static final int DT_UNKNOWN = 0;
  /** {@code d_type} of a directory. */
  public static final int DT_DIR = 4;

  /** Receives the entries of a directory listing one by one. */
  @FunctionalInterface
  public interface TypedNames {
    /**
     * One entry.
     *
     * @param type its {@code d_type} ({@link #DT_DIR}, ...; {@link #DT_UNKNOWN} where the
     *             filesystem does not say, and the caller must {@code lstat} it to know)
     */
    void add(String name, int type);
  }

  /**
   * As {@link #list}, each name with the type the directory entry gives ({@code d_type}), so a
   * caller that needs only the types (counting subdirectories) makes no {@code lstat} per entry.
   */
  public static void listTyped(Path dir, TypedNames into) throws IOException {
    // (O_NOATIME below: listing is how the union trees look, e.g. to count a merged directory's
    // links in a stat, and a stat must not change the directory's atime.)
    String path = dir.toString();
    try (ShortPath at = ShortPath.of(path)) {
      Pointer stream = openDirectoryStream(at.name());
      if (stream == null) {
        throw ErrnoMapper.toException("opendir", errno(), path, null);
      }
      try {
        readNames(stream, path, into);
      } finally {
        libc().closedir(stream);
      }
    }
  }

  /** {@code struct dirent}'s {@code d_type} offset on x86_64 glibc. */
  private static final int DIRENT_TYPE = 18;
  /** {@code struct dirent}'s {@code d_name} offset on x86_64 glibc. */
  private static final int DIRENT_NAME = 19;

  private static void readNames(Pointer stream, String path, TypedNames into) throws IOException {
    Charset charset = Charset.defaultCharset();
    byte[] name = new byte[256];
    while (true) {
      // readdir leaves errno alone at the end of the directory: clear it to tell end from error.
      Library.RUNTIME.setLastError(0);
      Pointer entry = libc().readdir(stream);
      if (entry == null) {
        int errno = errno();
        if (errno != 0) {
          throw ErrnoMapper.toException("readdir", errno, path, null);
        }
        return;
      }
      int length = 0;
      while (length < name.length && (name[length] = entry.getByte(DIRENT_NAME + length)) != 0) {
        length++;
      }
      boolean dot = length == 1 && name[0] == '.';
      boolean dotDot = length == 2 && name[0] == '.' && name[1] == '.';
      if (!dot && !dotDot) {
        into.add(new String(name, 0, length, charset), entry.getByte(DIRENT_TYPE) & 0xff);
      }
    }
  }

  /** The effective user ID of this process ({@code geteuid(2)}, which cannot fail). */
  public static int geteuid() {
    return libc().geteuid();
  }

  /** The effective group ID of this process ({@code getegid(2)}, which cannot fail). */
  public static int getegid() {
    return libc().getegid();
  }

  /** Capacity and usage of the filesystem holding {@code p}. */
  public static StatVfs statvfs(Path p) throws IOException {
    String path = p.toString();
    Library.StatVfsBuf buf = new Library.StatVfsBuf(Library.RUNTIME);
    check(libc().statvfs(path, buf), "statvfs", path);
    return new StatVfs(buf.f_bsize.longValue(), buf.f_frsize.longValue(), buf.f_blocks.get(),
        buf.f_bfree.get(), buf.f_bavail.get(), buf.f_files.get(), buf.f_ffree.get(),
        buf.f_favail.get(), buf.f_fsid.longValue(), buf.f_flag.longValue(),
        buf.f_namemax.longValue());
  }

  /** What {@code lstat(2)} says about {@code p} itself (a symlink is not followed). */
  public static Stat lstat(Path p) throws IOException {
    String path = p.toString();
    Library.StatBuf buf = STAT_BUFFERS.get();
    try (ShortPath at = ShortPath.of(path)) {
      check(lstatRaw(at.name(), Struct.getMemory(buf)), "lstat", path);
    }
    return statOf(buf);
  }

  /**
   * {@link #lstat}, or null when nothing is at {@code p} ({@code ENOENT}), without making an
   * exception for that: the writable trees ask this of every name about to be created, and an
   * exception (its stack trace, its message) costs several times the system call.
   *
   * @throws IOException for any other failure ({@code ENOTDIR} included)
   */
  public static Stat lstatOrNull(Path p) throws IOException {
    String path = p.toString();
    Library.StatBuf buf = STAT_BUFFERS.get();
    try (ShortPath at = ShortPath.of(path)) {
      if (lstatRaw(at.name(), Struct.getMemory(buf)) != 0) {
        int errno = errno();
        if (errno == Errno.ENOENT) {
          return null;
        }
        throw ErrnoMapper.toException("lstat", errno, path, null);
      }
    }
    return statOf(buf);
  }

  private static Stat statOf(Library.StatBuf buf) {
    return new Stat(buf.st_dev.get(), buf.st_ino.get(), (int) buf.st_mode.get(),
        buf.st_nlink.get(), (int) buf.st_uid.get(), (int) buf.st_gid.get(), buf.st_rdev.get(),
        buf.st_size.get(), buf.st_blksize.get(), buf.st_blocks.get(),
        buf.st_atime.get(), (int) buf.st_atime_nsec.get(),
        buf.st_mtime.get(), (int) buf.st_mtime_nsec.get(),
        buf.st_ctime.get(), (int) buf.st_ctime_nsec.get());
  }

  /**
   * {@link #lstat} of the entry {@code name} of directory {@code dir}, or null when there is none
   * ({@code ENOENT}); the same answer as {@code lstat(dir.resolve(name))} without making that
   * path: a listing's entries are read one after the other and most need no {@link Path} of
   * their own.
   *
   * @throws IOException as {@link #lstat}, for any other errno
   */
  public static Stat lstatChild(Path dir, String name) throws IOException {
    String parent = dir.toString(); // kept by the Path after its first call
    Pointer path = PATH_BUFFERS.get();
    if (!putPath(path, parent, name)) {
      try {
        return lstat(dir.resolve(name));
      } catch (java.nio.file.NoSuchFileException absent) {
        return null;
      }
    }
    Library.StatBuf buf = STAT_BUFFERS.get();
    Pointer stat = Struct.getMemory(buf);
    int rc = Library.LEGACY_STAT ? libc().__lxstat(Library.STAT_VER, path, stat)
        : libc().lstat(path, stat);
    if (rc != 0) {
      int errno = errno();
      if (errno == Errno.ENOENT) {
        return null;
      }
      throw ErrnoMapper.toException("lstat", errno, parent + "/" + name, null);
    }
    return statOf(buf);
  }

  /** {@code O_PATH}: a descriptor that names a directory, for {@code *at} calls only. */
  private static final int O_PATH = 010000000;

  /**
   * A descriptor of directory {@code dir} for {@link #lstatAt} ({@code O_PATH}: nothing is read
   * through it, its atime stays), or -1 when it cannot be had here (a path this class must take
   * in pieces, or any failure): the caller then stats each entry by its path. Closed with
   * {@link Descriptors#close}.
   */
  public static int openDirectoryForStat(Path dir) {
    String path = dir.toString();
    if (path.length() >= ShortPath.PATH_MAX) {
      return -1;
    }
    int fd = libc().open(path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    return fd < 0 ? -1 : fd;
  }

  /**
   * {@link #lstatChild} of the entry {@code name} of directory {@code dir}, whose descriptor is
   * {@code dirFd} ({@link #openDirectoryForStat}): {@code fstatat} of the name alone, so the
   * kernel does not walk the directory's whole path again for every entry of a listing.
   *
   * @return null when there is no such entry ({@code ENOENT})
   * @throws IOException as {@link #lstat}, for any other errno
   */
  public static Stat lstatAt(int dirFd, Path dir, String name) throws IOException {
    Pointer path = PATH_BUFFERS.get();
    if (dirFd < 0 || !putName(path, name)) {
      return lstatChild(dir, name);
    }
    Library.StatBuf buf = STAT_BUFFERS.get();
    Pointer stat = Struct.getMemory(buf);
    int rc = Library.LEGACY_STAT
        ? libc().__fxstatat(Library.STAT_VER, dirFd, path, stat, AT_SYMLINK_NOFOLLOW)
        : libc().fstatat(dirFd, path, stat, AT_SYMLINK_NOFOLLOW);
    if (rc != 0) {
      int errno = errno();
      if (errno == Errno.ENOENT) {
        return null;
      }
      throw ErrnoMapper.toException("lstat", errno, dir + "/" + name, null);
    }
    return statOf(buf);
  }

  /**
   * Writes {@code parent/name} NUL-terminated into {@code path}, a byte per char: false when that
   * would not name the same file (a char that is not one byte: this JVM's names are not byte
   * strings) or does not fit below {@link ShortPath#PATH_MAX} (the caller takes the long way).
   */
  private static boolean putPath(Pointer path, String parent, String name) {
    int length = parent.length() + 1 + name.length();
    if (length >= ShortPath.PATH_MAX || !FileNames.byteExact()) {
      return false;
    }
    int at = 0;
    for (int i = 0; i < parent.length(); i++) {
      char c = parent.charAt(i);
      if (c > 0xff) {
        return false;
      }
      path.putByte(at++, (byte) c);
    }
    path.putByte(at++, (byte) '/');
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c > 0xff) {
        return false;
      }
      path.putByte(at++, (byte) c);
    }
    path.putByte(at, (byte) 0);
    return true;
  }

  /** As {@link #putPath}, the name alone (no directory part: a name, not a path). */
  private static boolean putName(Pointer path, String name) {
    if (name.isEmpty() || name.length() >= ShortPath.PATH_MAX || !FileNames.byteExact()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c > 0xff || c == '/') {
        return false; // not one name: stated by its path, as before
      }
      path.putByte(i, (byte) c);
    }
    path.putByte(name.length(), (byte) 0);
    return true;
  }

  private static int lstatRaw(String path, Pointer statBuf) {
    return Library.LEGACY_STAT
        ? libc().__lxstat(Library.STAT_VER, path, statBuf)
        : libc().lstat(path, statBuf);
  }

  /**
   * Renames {@code from} to {@code to} ({@code renameat2(2)}, paths relative to the working
   * directory).
   *
   * @param flags 0, {@link #RENAME_NOREPLACE}, {@link #RENAME_EXCHANGE} or
   *              {@link #RENAME_WHITEOUT}
   */
  public static void renameat2(Path from, Path to, int flags) throws IOException {
    String oldPath = from.toString();
    String newPath = to.toString();
    try (ShortPath a = ShortPath.of(oldPath); ShortPath b = ShortPath.of(newPath)) {
      if (libc().renameat2(AT_FDCWD, a.name(), AT_FDCWD, b.name(), flags) != 0) {
        throw ErrnoMapper.toException("renameat2", errno(), oldPath, newPath);
      }
    }
  }

  /**
   * The errno saved after this thread's last jnr-ffi call (any library, jnr-fuse's included), so
   * read it right after the failed call it belongs to.
   */
  public static int errno() {
    return Library.RUNTIME.getLastError();
  }

  private static Library.LibC libc() {
    return Library.LIBC;
  }

  /** 0 for a call that returned 0, else -errno. */
  static int result(int rc) {
    return rc == 0 ? 0 : -errno();
  }

  /** Throws what the errno of a call that did not return 0 maps to. */
  static void check(int rc, String call, String path) throws IOException {
    if (rc != 0) {
      throw ErrnoMapper.toException(call, errno(), path, null);
    }
  }
}
