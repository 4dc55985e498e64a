package org.refcache.posix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.NativeType;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Transient;
import jnr.ffi.annotations.Variadic;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.socklen_t;
import jnr.ffi.types.ssize_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libc binding of this package, loaded once on the first native call (the holder idiom:
 * class initialization is lazy and thread-safe), never in a constructor. Package-private: only
 * {@link Posix}, {@link Descriptors}, {@link Xattrs}, {@link Mounting}, {@link SdNotify} and
 * {@link IoUring} call
 * libc, and turn failures into exceptions in one place ({@link ErrnoMapper}).
 * A libc that cannot load fails this class's initialization, so the first caller sees the cause
 * instead of a half-working binding.
 *
 * <p>The interface and structs are {@code public} only because jnr-ffi generates their
 * implementation in a class loader of its own, which cannot implement a package-private
 * interface (it fails with {@code IllegalAccessError}); this enclosing class keeps them out of
 * reach of other packages, as lmdbjava's {@code Library} does.
 */
final class Library {

  static final LibC LIBC;
  static final jnr.ffi.Runtime RUNTIME;
  /**
   * True on glibc older than 2.33, which exports {@code lstat} and {@code mknod} only through the
   * versioned wrappers {@code __lxstat}/{@code __xmknod}. glibc 2.33+ (Debian 12 has 2.36) exports
   * both names; jnr-ffi only reports a missing symbol when it is called, hence the probe.
   */
  static final boolean LEGACY_STAT;

  /** {@code _STAT_VER} of x86_64 glibc, the first argument of {@code __lxstat}. */
  static final int STAT_VER = 1;
  /** {@code _MKNOD_VER} of x86_64 glibc, the first argument of {@code __xmknod}. */
  static final int MKNOD_VER = 0;

  private static final Logger LOG = LoggerFactory.getLogger(Library.class);

  static {
    String name = Platform.getNativePlatform().getStandardCLibraryName();
    LIBC = LibraryLoader.create(LibC.class).failImmediately().load(name);
    RUNTIME = jnr.ffi.Runtime.getRuntime(LIBC);
    LEGACY_STAT = !hasModernStat();
    LOG.debug("loaded {} (lstat/mknod through {})", name,
        LEGACY_STAT ? "__lxstat/__xmknod" : "lstat/mknod");
  }

  private Library() {
  }

  private static boolean hasModernStat() {
    Pointer buf = Memory.allocateDirect(RUNTIME, Posix.STAT_SIZE);
    try {
      LIBC.lstat("/", buf);
      return true;
    } catch (UnsatisfiedLinkError missingSymbol) {
      return false;
    }
  }

  /**
   * The libc functions this package binds. Every function saves errno (jnr-ffi's default) except
   * those marked {@link IgnoreError}, which cannot fail.
   */
  public interface LibC {

    int lchown(String path, @uid_t int uid, @gid_t int gid);

    int symlink(String target, String linkpath);

    @ssize_t long readlink(String path, @Out byte[] buf, @size_t long size);

    int chmod(String path, @mode_t int mode);

    int fchmod(int fd, @mode_t int mode);

    int fchown(int fd, @uid_t int uid, @gid_t int gid);

    int mknod(String path, @mode_t int mode, @dev_t long dev);

    int mkfifo(String path, @mode_t int mode);

    /** {@code times} is {@code struct timespec[2]}: on x86_64 that is exactly four longs. */
    int utimensat(int dirfd, String path, @In long[] times, int flags);

    @ssize_t long lgetxattr(String path, String name, @Out byte[] value, @size_t long size);

    int lsetxattr(String path, String name, @In byte[] value, @size_t long size, int flags);

    @ssize_t long llistxattr(String path, @Out byte[] list, @size_t long size);

    int lremovexattr(String path, String name);

    int mkdir(String path, @mode_t int mode);

    int unlink(String path);

    int rmdir(String path);

    int link(String oldpath, String newpath);

    /** A {@code DIR *}, or null. */
    Pointer opendir(String path);

    Pointer fdopendir(int fd);

    /** A {@code struct dirent *} (x86_64: d_ino, d_off, d_reclen, d_type, d_name at 19), or null. */
    Pointer readdir(Pointer dir);

    int closedir(Pointer dir);

    /** Offsets null: from and advancing both descriptors' file offsets. */
    @ssize_t long copy_file_range(int fdIn, Pointer offIn, int fdOut, Pointer offOut,
                                  @size_t long len, int flags);

    int statvfs(String path, @Out @Transient StatVfsBuf buf);

    /** Takes a raw pointer so {@link Posix#lstat} can fill a buffer it keeps without a copy. */
    int lstat(String path, Pointer statBuf);

    /** {@link #lstat} of a NUL-terminated path already in native memory ({@link Posix#lstatChild}). */
    int lstat(Pointer path, Pointer statBuf);

    /**
     * {@code fstatat(2)} of a NUL-terminated name already in native memory, relative to a
     * directory descriptor ({@link Posix#lstatAt}); glibc 2.33+.
     */
    int fstatat(int dirfd, Pointer name, Pointer statBuf, int flags);

    int mount(String source, String target, String fstype, long flags, Pointer data);

    int umount2(String target, int flags);

    int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

    @Variadic(fixedCount = 2)
    int open(String path, int flags, @mode_t int mode);

    @Variadic(fixedCount = 3)
    int openat(int dirfd, String path, int flags, @mode_t int mode);

    @ssize_t long pread(int fd, Pointer buf, @size_t long count, @off_t long offset);

    @ssize_t long pwrite(int fd, Pointer buf, @size_t long count, @off_t long offset);

    @ssize_t long write(int fd, @In byte[] buf, @size_t long count);

    /** Raw {@code read(2)} into native memory (the FUSE device's request buffers). */
    @ssize_t long read(int fd, Pointer buf, @size_t long count);

    /** Raw {@code write(2)} from native memory (the FUSE device's replies). */
    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    /**
     * {@code syscall(2)} with up to six integer arguments (pointers passed as addresses): the
     * io_uring calls, which glibc does not wrap ({@link IoUring}).
     */
    @Variadic(fixedCount = 1)
    long syscall(long number, long a, long b, long c, long d, long e, long f);

    /** {@code ioctl(2)} with a pointer argument. */
    @Variadic(fixedCount = 2)
    int ioctl(int fd, @size_t long request, Pointer arg);

    /** {@code mount(2)} with its data as a string (a file system's {@code -o} options). */
    int mount(String source, String target, String fstype, long flags, String data);

    int fsync(int fd);

    int fdatasync(int fd);

    int syncfs(int fd);

    /** Returns 0 or an errno value itself (it does not set errno). */
    int posix_fallocate(int fd, @off_t long offset, @off_t long len);

    int ftruncate(int fd, @off_t long length);

    /** {@code flock(2)}: a whole-file lock of the open file description, not of the process. */
    int flock(int fd, int operation);

    /** Linux {@code fallocate(2)}: sets errno. */
    int fallocate(int fd, int mode, @off_t long offset, @off_t long len);

    int close(int fd);

    int socket(int domain, int type, int protocol);

    @ssize_t long sendto(int fd, @In byte[] buf, @size_t long len, int flags,
                         @In SockaddrUn addr, @socklen_t int addrlen);

    @IgnoreError String strerror(int errno);

    @IgnoreError @uid_t int geteuid();

    @IgnoreError @gid_t int getegid();

    /**
     * Pre-2.33 glibc exports {@code lstat} only as this versioned wrapper; {@code ver} is
     * {@code _STAT_VER} (1 on x86_64). Still exported by newer glibc for old binaries.
     */
    int __lxstat(int ver, String path, Pointer statBuf);

    /** {@link #__lxstat} of a NUL-terminated path already in native memory. */
    int __lxstat(int ver, Pointer path, Pointer statBuf);

    /** Pre-2.33 counterpart of {@link #fstatat}. */
    int __fxstatat(int ver, int dirfd, Pointer name, Pointer statBuf, int flags);

    /** Pre-2.33 counterpart of {@code mknod}; {@code ver} is {@code _MKNOD_VER} (0 on x86_64). */
    int __xmknod(int ver, String path, @mode_t int mode, @In long[] dev);
  }

  /**
   * {@code struct stat} of x86_64 Linux (glibc and kernel agree on it): 144 bytes. Kept as a
   * declared struct so a test pins its size and {@link Posix#lstat} reads fields by name.
   */
  public static final class StatBuf extends Struct {
    final Unsigned64 st_dev = new Unsigned64();
    final Unsigned64 st_ino = new Unsigned64();
    final Unsigned64 st_nlink = new Unsigned64();
    final Unsigned32 st_mode = new Unsigned32();
    final Unsigned32 st_uid = new Unsigned32();
    final Unsigned32 st_gid = new Unsigned32();
    final Signed32 pad0 = new Signed32();
    final Unsigned64 st_rdev = new Unsigned64();
    final Signed64 st_size = new Signed64();
    final Signed64 st_blksize = new Signed64();
    final Signed64 st_blocks = new Signed64();
    final Signed64 st_atime = new Signed64();
    final Signed64 st_atime_nsec = new Signed64();
    final Signed64 st_mtime = new Signed64();
    final Signed64 st_mtime_nsec = new Signed64();
    final Signed64 st_ctime = new Signed64();
    final Signed64 st_ctime_nsec = new Signed64();
    final Padding reserved = new Padding(NativeType.SLONG, 3);

    StatBuf(jnr.ffi.Runtime runtime) {
      super(runtime);
    }
  }

  /** {@code struct statvfs} of x86_64 glibc: 112 bytes. */
  public static final class StatVfsBuf extends Struct {
    final UnsignedLong f_bsize = new UnsignedLong();
    final UnsignedLong f_frsize = new UnsignedLong();
    final Unsigned64 f_blocks = new Unsigned64();
    final Unsigned64 f_bfree = new Unsigned64();
    final Unsigned64 f_bavail = new Unsigned64();
    final Unsigned64 f_files = new Unsigned64();
    final Unsigned64 f_ffree = new Unsigned64();
    final Unsigned64 f_favail = new Unsigned64();
    final UnsignedLong f_fsid = new UnsignedLong();
    final UnsignedLong f_flag = new UnsignedLong();
    final UnsignedLong f_namemax = new UnsignedLong();
    final Padding spare = new Padding(NativeType.SINT, 6);

    StatVfsBuf(jnr.ffi.Runtime runtime) {
      super(runtime);
    }
  }

  /** {@code struct sockaddr_un}: a 2-byte family and 108 bytes of path, 110 bytes. */
  public static final class SockaddrUn extends Struct {
    static final int AF_UNIX = 1;
    static final int PATH_CAPACITY = 108;

    final Unsigned16 sun_family = new Unsigned16();
    final Padding sun_path = new Padding(NativeType.UCHAR, PATH_CAPACITY);

    SockaddrUn(jnr.ffi.Runtime runtime) {
      super(runtime);
    }

    /**
     * The address of a unix socket named like {@code $NOTIFY_SOCKET}: a path, or an abstract name
     * written with a leading {@code '@'} (which becomes the NUL byte the kernel expects).
     *
     * @return the socket length to pass with this address
     */
    int setAddress(java.lang.String address) {
      byte[] name = address.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      boolean isAbstract = name.length > 0 && name[0] == '@';
      if (isAbstract) {
        name[0] = 0;
      }
      // A path needs room for its terminating NUL; an abstract name is counted by length alone.
      int used = isAbstract ? name.length : name.length + 1;
      if (name.length == 0 || used > PATH_CAPACITY) {
        throw new IllegalArgumentException("not a unix socket address (empty or longer than "
            + (PATH_CAPACITY - 1) + " bytes): " + address);
      }
      sun_family.set(AF_UNIX);
      jnr.ffi.Pointer memory = Struct.getMemory(this);
      memory.put(sun_path.offset(), name, 0, name.length);
      if (!isAbstract) {
        memory.putByte(sun_path.offset() + name.length, (byte) 0);
      }
      return (int) sun_path.offset() + used;
    }
  }
}
