package org.refcache.fuse.libfuse;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.refcache.fuse.Caller;
import org.refcache.fuse.DirectorySink;
import org.refcache.fuse.Entry;
import org.refcache.fuse.FileAttributes;
import org.refcache.fuse.MountPath;
import org.refcache.fuse.Opened;
import org.refcache.fuse.ViewFailures;
import org.refcache.fuse.ViewOperations;
import org.refcache.fuse.XattrNames;
import org.refcache.posix.Errno;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The libfuse adapter: jnr-fuse's path-based callbacks turned into the view's operations. Each
 * path is split once ({@link HiddenNames#place}); results are written into libfuse's structures;
 * every failure becomes its errno in {@link #call}, through {@link ViewFailures}.
 *
 * <p>Only overridden operations are registered with libfuse (jnr-fuse skips the ones still marked
 * {@code @NotImplemented} in {@code FuseStubFS}), so everything not here answers {@code ENOSYS}:
 * {@code flush} on purpose (writes go straight to the backing file, nothing is buffered to flush;
 * after the first ENOSYS the kernel stops sending it, saving a round trip per {@code close(2)}),
 * {@code releasedir} (directory handles hold nothing), {@code lock}/{@code flock} (the kernel then
 * keeps POSIX and BSD locks itself), {@code ioctl}, {@code poll}, {@code bmap},
 * {@code read_buf}/{@code write_buf}.
 */
public final class LibfuseFileSystem extends FuseStubFS {

  /** {@code tv_nsec} values of {@code utimensat(2)} that libfuse passes through to utimens. */
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  private final ViewOperations view;
  private final HiddenNames hidden = new HiddenNames();

  LibfuseFileSystem(ViewOperations view) {
    this.view = view;
    FuseAbi.checkFileInfoLayout(
        FuseFileInfo.of(Memory.allocateDirect(Runtime.getSystemRuntime(), FuseAbi.FILE_INFO_SIZE)));
    // Handle operations on files libfuse cannot name get a null path rather than failing;
    // one-sided utimens (touch -m) reaches us instead of being dropped by libfuse.
    FuseAbi.setOperationFlags(fuseOperations, FuseAbi.FLAG_NULLPATH_OK | FuseAbi.FLAG_UTIME_OMIT_OK);
  }

  /** Tells jnr-fuse the mount is gone, so its JVM shutdown hook does not unmount again. */
  void markUnmounted() {
    mounted.set(false);
  }

  @Override
  protected String getFSName() {
    return "refcache";
  }

  /** One call of the view; it answers 0 or a count. */
  private interface Operation {
    int run() throws IOException;
  }

  /** Runs {@code operation}: its result, or {@code -errno} for what it threw. */
  private static int call(String name, String path, Operation operation) {
    try {
      return operation.run();
    } catch (IOException | RuntimeException e) {
      return -ViewFailures.errno(name, path, e);
    }
  }

  private MountPath at(String path) {
    return hidden.place(path);
  }

  private Caller caller() {
    FuseContext context = getContext();
    return new Caller((int) context.uid.get(), (int) context.gid.get());
  }

  // ---- attributes and names ----------------------------------------------------------------------

  @Override
  public int getattr(String path, FileStat stat) {
    return call("getattr", path, () -> {
      Entry entry = view.lookup(at(path), FileAttributes.over(Struct.getMemory(stat)));
      return entry.exists() ? 0 : -Errno.ENOENT;
    });
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    if (path != null) {
      return getattr(path, stat);
    }
    long fh = fi.fh.get();
    if (fh == 0) {
      return -Errno.ENOENT; // no handle of ours and no name left
    }
    return call("fgetattr", "(unlinked)", () -> {
      view.attributes(fh, FileAttributes.over(Struct.getMemory(stat)));
      return 0;
    });
  }

  @Override
  public int readlink(String path, Pointer buf, long size) {
    return call("readlink", path, () -> {
      byte[] target = FileNames.bytes(view.readlink(at(path)));
      int length = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, length);
      buf.putByte(length, (byte) 0);
      return 0;
    });
  }

  @Override
  public int access(String path, int mask) {
    return call("access", path, () -> {
      view.access(at(path), mask);
      return 0;
    });
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    return call("statfs", path, () -> {
      StatVfs capacity = view.capacity(at(path));
      stbuf.f_bsize.set(capacity.blockSize());
      stbuf.f_frsize.set(capacity.fragmentSize());
      stbuf.f_blocks.set(capacity.blocks());
      stbuf.f_bfree.set(capacity.blocksFree());
      stbuf.f_bavail.set(capacity.blocksAvailable());
      stbuf.f_files.set(capacity.files());
      stbuf.f_ffree.set(capacity.filesFree());
      stbuf.f_favail.set(capacity.filesAvailable());
      stbuf.f_namemax.set(MountPath.NAME_MAX);
      return 0;
    });
  }

  // ---- directories ---------------------------------------------------------------------------------

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    return call("opendir", path, () -> {
      view.openDirectory(at(path));
      return 0;
    });
  }

  /**
   * Lists a whole directory in one call (offset 0 for every entry: libfuse buffers the listing per
   * open directory). libfuse 2.9's high-level readdir passes on only the inode number and the
   * type of an entry's attributes: the listing knows both.
   */
  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
    return call("readdir", path, () -> {
      FileStat stat = FileStat.of(Memory.allocateDirect(Runtime.getSystemRuntime(),
          Posix.STAT_SIZE, true));
      view.list(at(path), (name, ino, type) -> {
        if (ino == DirectorySink.UNKNOWN) {
          return filler.apply(buf, name, null, 0) == 0;
        }
        stat.st_mode.set(type);
        stat.st_ino.set(ino);
        return filler.apply(buf, name, stat, 0) == 0;
      });
      return 0;
    });
  }

  @Override
  public int fsyncdir(String path, FuseFileInfo fi) {
    return call("fsyncdir", path, () -> {
      view.syncDirectory(at(path));
      return 0;
    });
  }

  @Override
  public int mkdir(String path, long mode) {
    return call("mkdir", path, () -> {
      view.mkdir(at(path), (int) mode, caller());
      return 0;
    });
  }

  @Override
  public int rmdir(String path) {
    return call("rmdir", path, () -> {
      view.rmdir(at(path));
      return 0;
    });
  }

  // ---- other names -------------------------------------------------------------------------------------

  @Override
  public int mknod(String path, long mode, long rdev) {
    return call("mknod", path, () -> {
      view.mknod(at(path), (int) mode, rdev, caller());
      return 0;
    });
  }

  @Override
  public int symlink(String target, String path) {
    return call("symlink", path, () -> {
      view.symlink(at(path), target, caller());
      return 0;
    });
  }

  @Override
  public int unlink(String path) {
    MountPath kept = hidden.remove(path);
    if (kept != null) {
      view.forgetUnlinked(kept); // libfuse dropping a hidden name after the last release
      return 0;
    }
    return call("unlink", path, () -> {
      view.unlink(at(path));
      return 0;
    });
  }

  /**
   * A plain {@code rename(2)} (libfuse 2.9 has no flags), or libfuse hiding a file unlinked
   * while open (see {@link HiddenNames}).
   */
  @Override
  public int rename(String from, String to) {
    return call("rename", from + " -> " + to, () -> {
      if (HiddenNames.isHiddenName(to)) {
        hidden.hide(to, view.unlinkOpen(at(from)));
      } else {
        view.rename(at(from), at(to), 0);
      }
      return 0;
    });
  }

  @Override
  public int link(String existing, String path) {
    return call("link", existing + " -> " + path, () -> {
      view.link(at(existing), at(path));
      return 0;
    });
  }

  // ---- attributes ------------------------------------------------------------------------------------------

  @Override
  public int chmod(String path, long mode) {
    return call("chmod", path, () -> {
      view.chmod(at(path), (int) mode);
      return 0;
    });
  }

  /** {@code uid}/{@code gid} arrive as unsigned 32-bit values; -1 (unchanged) stays -1. */
  @Override
  public int chown(String path, long uid, long gid) {
    return call("chown", path, () -> {
      view.chown(at(path), (int) uid, (int) gid);
      return 0;
    });
  }

  @Override
  public int utimens(String path, Timespec[] times) {
    return call("utimens", path, () -> {
      view.utimens(at(path), instant(times[0]), instant(times[1]));
      return 0;
    });
  }

  private static Instant instant(Timespec time) {
    long nanos = time.tv_nsec.longValue();
    if (nanos == UTIME_OMIT) {
      return null;
    }
    if (nanos == UTIME_NOW) {
      return Instant.now();
    }
    return Instant.ofEpochSecond(time.tv_sec.get(), nanos);
  }

  @Override
  public int truncate(String path, long size) {
    return call("truncate", path, () -> {
      view.truncate(at(path), size);
      return 0;
    });
  }

  // ---- extended attributes ---------------------------------------------------------------------------------

  @Override
  public int getxattr(String path, String name, Pointer value, long size) {
    return call("getxattr", path, () -> {
      Optional<byte[]> found = view.getxattr(at(path), name);
      return found.isEmpty() ? -Errno.ENODATA : copyOut(found.get(), value, size);
    });
  }

  @Override
  public int listxattr(String path, Pointer list, long size) {
    return call("listxattr", path,
        () -> copyOut(XattrNames.join(view.listxattr(at(path))), list, size));
  }

  /** The xattr protocol: size 0 asks for the length, a too small buffer is ERANGE. */
  private static int copyOut(byte[] bytes, Pointer buffer, long size) {
    if (size == 0) {
      return bytes.length;
    }
    if (bytes.length > size) {
      return -Errno.ERANGE;
    }
    buffer.put(0, bytes, 0, bytes.length);
    return bytes.length;
  }

  @Override
  public int setxattr(String path, String name, Pointer value, long size, int flags) {
    return call("setxattr", path, () -> {
      byte[] bytes = new byte[(int) size];
      if (size > 0) {
        value.get(0, bytes, 0, bytes.length);
      }
      view.setxattr(at(path), name, bytes, flags);
      return 0;
    });
  }

  @Override
  public int removexattr(String path, String name) {
    return call("removexattr", path, () -> {
      view.removexattr(at(path), name);
      return 0;
    });
  }

  // ---- open files ----------------------------------------------------------------------------------------------

  @Override
  public int create(String path, long mode, FuseFileInfo fi) {
    return call("create", path, () -> {
      fi.fh.set(view.create(at(path), (int) mode, fi.flags.get(), caller()).handle());
      return 0;
    });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    return call("open", path, () -> {
      Opened file = view.open(at(path), fi.flags.get());
      fi.fh.set(file.handle());
      if (file.keepCache()) {
        FuseAbi.setKeepCache(fi);
      }
      return 0;
    });
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return call("read", path, () -> view.read(fi.fh.get(), buf, (int) size, offset));
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    return call("write", path, () -> view.write(fi.fh.get(), buf, (int) size, offset));
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    return call("ftruncate", path, () -> {
      view.truncate(fi.fh.get(), size);
      return 0;
    });
  }

  @Override
  public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
    return call("fallocate", path, () -> {
      view.fallocate(fi.fh.get(), mode, off, length);
      return 0;
    });
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    return call("fsync", path, () -> {
      view.sync(fi.fh.get(), isdatasync != 0);
      return 0;
    });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return call("release", path, () -> {
      view.release(fi.fh.get());
      return 0;
    });
  }
}
