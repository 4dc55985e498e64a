package org.refcache.posix;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;

/**
 * The POSIX calls {@code java.nio} lacks, for x86_64 Linux.
 *
 * <p>Path-level calls throw the exception {@link ErrnoMapper} maps the errno to; expected absence
 * (a missing xattr) is an {@link Optional}. The fd-level calls and {@link #openRaw} serve the
 * FUSE hot path: they never throw, returning {@code -errno} on failure, which is what a FUSE
 * operation answers; the fd-level ones allocate nothing on the Java heap. libc is loaded on
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
  /** {@code flock(2)} operations. */
  static final int LOCK_EX = 2;
  static final int LOCK_NB = 4;

  /** {@link #renameat2}: fail with EEXIST instead of replacing the target. */
  public static final int RENAME_NOREPLACE = 1;
  /** {@link #renameat2}: atomically swap source and target. */
  public static final int RENAME_EXCHANGE = 2;
  /** {@link #renameat2}: leave an overlay whiteout (char device 0/0) where the source was. */
  public static final int RENAME_WHITEOUT = 4;

  /** {@link #lsetxattr}: fail with EEXIST if the attribute exists. */
  public static final int XATTR_CREATE = 1;
  /** {@link #lsetxattr}: fail with ENODATA if the attribute does not exist. */
  public static final int XATTR_REPLACE = 2;

  /** {@link #umount}: force, even if busy (meaningful for network filesystems). */
  public static final int MNT_FORCE = 1;
  /** {@link #umount}: detach now, clean up when no longer busy (lazy unmount). */
  public static final int MNT_DETACH = 2;

  /** Size of {@code struct stat} on x86_64, what {@code lstat(2)} writes. */
  public static final int STAT_SIZE = 144;

  static final int AT_FDCWD = -100;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  /** {@code tv_nsec} value that tells utimensat to leave a time as it is. */
  static final long UTIME_OMIT = (1L << 30) - 2;

  /** {@link #mount}, {@link #bindMount}: read-only. */
  public static final long MS_RDONLY = 1;
  /** {@link #mount}, {@link #bindMount}: setuid and setgid bits (and file capabilities) ignored. */
  public static final long MS_NOSUID = 2;
  /** {@link #mount}, {@link #bindMount}: device nodes cannot be opened. */
  public static final long MS_NODEV = 4;
  static final long MS_REMOUNT = 32;
  static final long MS_BIND = 4096;
  /** The per-mount flags {@link #bindMount} sets; others are refused. */
  private static final long BIND_FLAGS = MS_RDONLY | MS_NOSUID | MS_NODEV;

  /** First buffer for xattr values and lists; most (capabilities, overlay markers) are tiny. */
  private static final int XATTR_FIRST_TRY = 256;

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

  /**
   * The value of extended attribute {@code name} of {@code p} itself (not a symlink's target),
   * or empty when {@code p} has no such attribute.
   */
  public static Optional<byte[]> lgetxattr(Path p, String name) throws IOException {
    String original = p.toString();
    try (ShortPath at = ShortPath.of(original)) {
      return lgetxattr(original, at.name(), name);
    }
  }

  private static Optional<byte[]> lgetxattr(String original, String path, String name)
      throws IOException {
    byte[] value = new byte[XATTR_FIRST_TRY];
    while (true) {
      long n = libc().lgetxattr(path, name, value, value.length);
      if (n >= 0) {
        return Optional.of(n == value.length ? value : Arrays.copyOf(value, (int) n));
      }
      int errno = errno();
      if (errno == Errno.ENODATA) {
        return Optional.empty();
      }
      if (errno != Errno.ERANGE) {
        throw ErrnoMapper.toException("lgetxattr(" + name + ")", errno, original, null);
      }
      // Too small: ask for the size, then try again (the value may change in between).
      long size = libc().lgetxattr(path, name, null, 0);
      if (size < 0) {
        int sizeErrno = errno();
        if (sizeErrno == Errno.ENODATA) {
          return Optional.empty();
        }
        throw ErrnoMapper.toException("lgetxattr(" + name + ")", sizeErrno, original, null);
      }
      value = new byte[(int) size];
    }
  }

  /**
   * Sets extended attribute {@code name} of {@code p} itself.
   *
   * @param flags 0, {@link #XATTR_CREATE} or {@link #XATTR_REPLACE}
   */
  public static void lsetxattr(Path p, String name, byte[] value, int flags) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().lsetxattr(at.name(), name, value, value.length, flags),
          "lsetxattr(" + name + ")", path);
    }
  }

  /** Names of the extended attributes of {@code p} itself that the caller may see. */
  public static List<String> llistxattr(Path p) throws IOException {
    String original = p.toString();
    try (ShortPath at = ShortPath.of(original)) {
      return llistxattr(original, at.name());
    }
  }

  private static List<String> llistxattr(String original, String path) throws IOException {
    byte[] list = new byte[XATTR_FIRST_TRY];
    while (true) {
      long n = libc().llistxattr(path, list, list.length);
      if (n >= 0) {
        return splitNames(list, (int) n);
      }
      int errno = errno();
      if (errno != Errno.ERANGE) {
        throw ErrnoMapper.toException("llistxattr", errno, original, null);
      }
      long size = libc().llistxattr(path, null, 0);
      if (size < 0) {
        throw ErrnoMapper.toException("llistxattr", errno(), original, null);
      }
      list = new byte[(int) size];
    }
  }

  /** The list is NUL-terminated names back to back. */
  private static List<String> splitNames(byte[] list, int length) {
    // jnr-ffi encodes String arguments in the default charset, so names decode in it too.
    Charset charset = Charset.defaultCharset();
    List<String> names = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (list[i] == 0) {
        if (i > start) {
          names.add(new String(list, start, i - start, charset));
        }
        start = i + 1;
      }
    }
    return names;
  }

  /** Removes extended attribute {@code name}; a missing one fails with ENODATA. */
  public static void lremovexattr(Path p, String name) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      check(libc().lremovexattr(at.name(), name), "lremovexattr(" + name + ")", path);
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

  /**
   * The names in directory {@code dir} but {@code .} and {@code ..}, in the directory's order,
   * decoded in the charset jnr-ffi encodes String arguments in: a name read here and handed back
   * to any call of this class names the same file, whatever its bytes.
   */
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

  public static List<String> list(Path dir) throws IOException {
    // (O_NOATIME below: listing is how the union trees look, e.g. to count a merged directory's
    // links in a stat, and a stat must not change the directory's atime.)
    String path = dir.toString();
    try (ShortPath at = ShortPath.of(path)) {
      Pointer stream = openDirectoryStream(at.name());
      if (stream == null) {
        throw ErrnoMapper.toException("opendir", errno(), path, null);
      }
      try {
        return readNames(stream, path);
      } finally {
        libc().closedir(stream);
      }
    }
  }

  /** {@code struct dirent}'s {@code d_name} offset on x86_64 glibc. */
  private static final int DIRENT_NAME = 19;

  private static List<String> readNames(Pointer stream, String path) throws IOException {
    Charset charset = Charset.defaultCharset();
    List<String> names = new ArrayList<>();
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
        return names;
      }
      int length = 0;
      while (length < name.length && (name[length] = entry.getByte(DIRENT_NAME + length)) != 0) {
        length++;
      }
      boolean dot = length == 1 && name[0] == '.';
      boolean dotDot = length == 2 && name[0] == '.' && name[1] == '.';
      if (!dot && !dotDot) {
        names.add(new String(name, 0, length, charset));
      }
    }
  }

  /**
   * Copies what is left of {@code in} into {@code out} from both descriptors' offsets, in the
   * kernel ({@code copy_file_range}: no copy through this process, and extents shared where the
   * filesystem can). Returns the bytes copied, or -errno of the first failure; a filesystem
   * that cannot ({@code EXDEV}, {@code EOPNOTSUPP}, {@code ENOSYS}, {@code EINVAL}) before any
   * byte was copied is reported so the caller can copy another way.
   */
  public static long copyFileRange(int in, int out) {
    long total = 0;
    while (true) {
      long n = libc().copy_file_range(in, null, out, null, 1L << 30, 0);
      if (n == 0) {
        return total;
      }
      if (n < 0) {
        return -errno();
      }
      total += n;
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
    return new Stat(buf.st_dev.get(), buf.st_ino.get(), (int) buf.st_mode.get(),
        buf.st_nlink.get(), (int) buf.st_uid.get(), (int) buf.st_gid.get(), buf.st_rdev.get(),
        buf.st_size.get(), buf.st_blksize.get(), buf.st_blocks.get(),
        Instant.ofEpochSecond(buf.st_atime.get(), buf.st_atime_nsec.get()),
        Instant.ofEpochSecond(buf.st_mtime.get(), buf.st_mtime_nsec.get()),
        Instant.ofEpochSecond(buf.st_ctime.get(), buf.st_ctime_nsec.get()));
  }

  private static int lstatRaw(String path, Pointer statBuf) {
    return Library.LEGACY_STAT
        ? libc().__lxstat(Library.STAT_VER, path, statBuf)
        : libc().lstat(path, statBuf);
  }

  /**
   * Bind-mounts directory or file {@code source} onto {@code target} (not recursively: mounts
   * below {@code source} are not carried along), read-write, {@code nosuid} and {@code nodev}
   * ({@link #bindMount(Path, Path, long)}), or read-only too.
   */
  public static void bindMount(Path source, Path target, boolean readOnly) throws IOException {
    bindMount(source, target, MS_NOSUID | MS_NODEV | (readOnly ? MS_RDONLY : 0));
  }

  /**
   * Bind-mounts directory or file {@code source} onto {@code target} (not recursively) and gives
   * the new mount exactly the per-mount {@code flags}: any of {@link #MS_RDONLY},
   * {@link #MS_NOSUID}, {@link #MS_NODEV}. The kernel ignores these on the bind itself, which
   * copies the source mount's instead (a bind of a {@code nosuid} mount is {@code nosuid}); a
   * second, remounting call sets them, clearing what {@code flags} leaves out. If that fails the
   * bind is undone, so no mount with more rights than asked for is left behind.
   *
   * @throws IllegalArgumentException if {@code flags} holds other bits
   */
  public static void bindMount(Path source, Path target, long flags) throws IOException {
    if ((flags & ~BIND_FLAGS) != 0) {
      throw new IllegalArgumentException("not a bind mount flag: 0x" + Long.toHexString(flags & ~BIND_FLAGS));
    }
    String from = source.toString();
    String to = target.toString();
    if (libc().mount(from, to, null, MS_BIND, (Pointer) null) != 0) {
      throw ErrnoMapper.toException("mount(MS_BIND)", errno(), from, to);
    }
    if (libc().mount(null, to, null, MS_REMOUNT | MS_BIND | flags, (Pointer) null) != 0) {
      IOException failure =
          ErrnoMapper.toException("mount(MS_REMOUNT|MS_BIND" + flagNames(flags) + ")", errno(), to, null);
      if (libc().umount2(to, MNT_DETACH) != 0) {
        failure.addSuppressed(ErrnoMapper.toException("umount2(MNT_DETACH)", errno(), to, null));
      }
      throw failure;
    }
  }

  private static String flagNames(long flags) {
    return ((flags & MS_RDONLY) != 0 ? "|MS_RDONLY" : "") + ((flags & MS_NOSUID) != 0 ? "|MS_NOSUID" : "")
        + ((flags & MS_NODEV) != 0 ? "|MS_NODEV" : "");
  }

  /**
   * Mounts a file system of type {@code fstype} from {@code source} at {@code target}
   * ({@code mount(2)}), {@code data} being its options ({@code "fd=5,rootmode=40000,..."} for
   * FUSE).
   *
   * @param flags {@code MS_*} flags (0: read-write, setuid programs and devices allowed;
   *     {@link #MS_NOSUID}, {@link #MS_NODEV}, {@link #MS_RDONLY})
   */
  public static void mount(String source, Path target, String fstype, long flags, String data)
      throws IOException {
    String path = target.toString();
    if (libc().mount(source, path, fstype, flags, data) != 0) {
      throw ErrnoMapper.toException("mount(" + fstype + ")", errno(), path, null);
    }
  }

  /** {@code ioctl(2)} with a pointer argument: its result, or -errno; never throws. */
  public static int ioctl(int fd, long request, Pointer arg) {
    int rc = libc().ioctl(fd, request, arg);
    return rc >= 0 ? rc : -errno();
  }

  /** {@code read(2)} into {@code buf}: the bytes read, or -errno; never throws. */
  public static long read(int fd, Pointer buf, long count) {
    long n = libc().read(fd, buf, count);
    return n >= 0 ? n : -errno();
  }

  /** {@code write(2)} of {@code buf[0, count)}: the bytes written, or -errno; never throws. */
  public static long write(int fd, Pointer buf, long count) {
    long n = libc().write(fd, buf, count);
    return n >= 0 ? n : -errno();
  }

  /**
   * Unmounts {@code target} ({@code umount2(2)}).
   *
   * @param flags 0, {@link #MNT_DETACH} and/or {@link #MNT_FORCE}
   */
  public static void umount(Path target, int flags) throws IOException {
    String path = target.toString();
    check(libc().umount2(path, flags), "umount2", path);
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
   * Opens {@code p} and returns the file descriptor, which the caller must {@link #close}.
   *
   * @param flags {@code O_*} flags
   * @param mode  permissions of a file created with {@link #O_CREAT}
   */
  public static int open(Path p, int flags, int mode) throws IOException {
    String path = p.toString();
    try (ShortPath at = ShortPath.of(path)) {
      int fd = libc().open(at.name(), flags, mode);
      if (fd < 0) {
        throw ErrnoMapper.toException("open", errno(), path, null);
      }
      return fd;
    }
  }

  /** Opens {@code path}; returns the file descriptor or -errno, never throws. */
  public static int openRaw(String path, int flags, int mode) {
    if (ShortPath.fits(path)) {
      int fd = libc().open(path, flags, mode);
      return fd >= 0 ? fd : -errno();
    }
    try (ShortPath at = ShortPath.of(path)) {
      int fd = libc().open(at.name(), flags, mode);
      return fd >= 0 ? fd : -errno();
    } catch (IOException e) {
      return -ErrnoMapper.toErrno(e);
    }
  }

  /**
   * Reads up to {@code count} bytes at {@code offset} into {@code buf} (a direct pointer such as
   * FUSE's read buffer, so there is no Java copy). Returns the bytes read (0 at end of file, fewer
   * than asked near it) or -errno; never throws.
   */
  public static long pread(int fd, Pointer buf, long count, long offset) {
    long n = libc().pread(fd, buf, count, offset);
    return n >= 0 ? n : -errno();
  }

  /** Writes up to {@code count} bytes of {@code buf} at {@code offset}: bytes written or -errno. */
  public static long pwrite(int fd, Pointer buf, long count, long offset) {
    long n = libc().pwrite(fd, buf, count, offset);
    return n >= 0 ? n : -errno();
  }

  /**
   * Writes {@code buf[0, length)} to {@code fd} at its offset, all of it (a short write is
   * continued).
   *
   * @param what names the file in the exception
   */
  public static void writeFully(int fd, byte[] buf, int length, String what) throws IOException {
    byte[] rest = buf;
    int left = length;
    while (left > 0) {
      long n = libc().write(fd, rest, left);
      if (n < 0) {
        throw ErrnoMapper.toException("write", errno(), what, null);
      }
      left -= (int) n;
      if (left > 0) {
        rest = Arrays.copyOfRange(rest, (int) n, (int) n + left); // rare: only what is left
      }
    }
  }

  /** 0 or -errno. */
  public static int fsync(int fd) {
    return result(libc().fsync(fd));
  }

  /** 0 or -errno. */
  public static int fdatasync(int fd) {
    return result(libc().fdatasync(fd));
  }

  /**
   * Flushes the whole filesystem holding {@code dir} (syncfs(2)): one call instead of an fsync per file
   * when a tree of many new files must reach the disk.
   */
  public static void syncfs(Path dir) throws IOException {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    try {
      int r = result(libc().syncfs(fd));
      if (r < 0) {
        throw ErrnoMapper.toException("syncfs", -r, dir.toString(), null);
      }
    } finally {
      close(fd);
    }
  }

  /**
   * Reserves disk blocks for {@code [offset, offset+len)} of {@code file} (posix_fallocate), so that
   * later writes through a memory map cannot fail with SIGBUS on a full disk.
   */
  public static void fallocate(Path file, long offset, long len) throws IOException {
    int fd = open(file, O_RDWR | O_CLOEXEC, 0);
    try {
      int err = libc().posix_fallocate(fd, offset, len);
      if (err != 0) {
        throw ErrnoMapper.toException("posix_fallocate", err, file.toString(), null);
      }
    } finally {
      close(fd);
    }
  }

  /**
   * Takes an exclusive {@code flock(2)} lock on {@code fd} without waiting. The lock belongs to the open
   * file description: unlike {@code fcntl} locks (what {@code FileChannel.lock} takes), closing another
   * descriptor of the same file in this process does not drop it, and a second open of the file in this
   * process is refused like one in another process. It goes when {@code fd} is closed or the process dies.
   *
   * @param what names the file in the exception
   * @return true when locked, false when another open file description holds a lock on the file
   */
  public static boolean tryLockExclusive(int fd, String what) throws IOException {
    if (libc().flock(fd, LOCK_EX | LOCK_NB) == 0) {
      return true;
    }
    int err = errno();
    if (err == Errno.EWOULDBLOCK) {
      return false;
    }
    throw ErrnoMapper.toException("flock", err, what, null);
  }

  /** {@code fallocate(2)} with its mode bits (KEEP_SIZE, PUNCH_HOLE, ...): 0 or -errno. */
  public static int fallocate(int fd, int mode, long offset, long len) {
    return result(libc().fallocate(fd, mode, offset, len));
  }

  /** {@code fchmod(2)}: 0 or -errno. */
  public static int fchmod(int fd, int mode) {
    return result(libc().fchmod(fd, mode & 07777));
  }

  /** {@code fchown(2)}: 0 or -errno. */
  public static int fchown(int fd, int uid, int gid) {
    return result(libc().fchown(fd, uid, gid));
  }

  /** 0 or -errno. */
  public static int ftruncate(int fd, long len) {
    return result(libc().ftruncate(fd, len));
  }

  /** 0 or -errno. The descriptor is released even on failure (Linux semantics): do not retry. */
  public static int close(int fd) {
    return result(libc().close(fd));
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

  private static int result(int rc) {
    return rc == 0 ? 0 : -errno();
  }

  private static void check(int rc, String call, String path) throws IOException {
    if (rc != 0) {
      throw ErrnoMapper.toException(call, errno(), path, null);
    }
  }
}
