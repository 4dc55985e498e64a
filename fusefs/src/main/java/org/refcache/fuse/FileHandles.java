package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import jnr.ffi.Pointer;
import org.refcache.core.overlay.CreatedFile;
import org.refcache.core.overlay.IsDirectoryException;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.fuse.OpenFiles.OpenFile;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;

/**
 * Open files of the view: opening resolves the real file (copied up first for writing), opens it
 * with the caller's flags and enters the descriptor with a use of its ref into {@link OpenFiles};
 * reads and writes go straight between that descriptor and FUSE's buffer ({@code pread}/
 * {@code pwrite} into the native pointer: no Java buffer, no copy, no allocation).
 *
 * <p>Reads, writes and the other operations on a handle answer {@code -errno} themselves (they
 * are the hot path and never throw; the view turns a failure into an exception); opening throws
 * {@code java.nio.file} exceptions.
 */
final class FileHandles {

  private static final int O_DSYNC = 010000;
  private static final int O_SYNC = 04010000;
  /**
   * Caller flags carried to the real descriptor. Not {@code O_CREAT}/{@code O_EXCL} (the tree
   * creates), not {@code O_TRUNC} (the tree truncates while copying up), not {@code O_DIRECT}
   * (FUSE's buffers are not aligned for it), not {@code O_NONBLOCK}/{@code O_NOCTTY} (meaningless
   * for a regular file). {@code O_APPEND} stays so the kernel appends at the real end of file,
   * whatever offset FUSE passes.
   */
  private static final int CARRIED_FLAGS = Posix.O_ACCMODE | Posix.O_APPEND | O_DSYNC | O_SYNC;
  /** Never follow a symlink that might have replaced the file, never leak into children. */
  private static final int ADDED_FLAGS = Posix.O_NOFOLLOW | Posix.O_CLOEXEC;
  /**
   * Files of read-only trees up to this size are not offered for passthrough: the kernel reads
   * them through READ requests into FUSE's own page cache (kept across opens), one request for
   * the whole file (the kernel's readahead window). A passthrough read marks the FUSE inode's
   * atime stale after every read, whatever the times (fs/fuse/passthrough.c
   * {@code fuse_file_accessed} -> {@code fuse_invalidate_atime}, skipped only on a read-only
   * superblock), so every later {@code fstat} or {@code stat} of a passed-through file is a
   * GETATTR: one request per file per pass of a {@code tar}, which is most of its cost for small
   * files. A read from FUSE's page cache marks nothing. Larger files keep passthrough (one copy
   * of their pages, the kernel's read speed); their GETATTR per pass is small beside their data.
   */
  static final long CACHED_UP_TO = 128 * 1024;

  private final OpenFiles files;

  FileHandles(OpenFiles files) {
    this.files = files;
  }

  /** Whether {@code flags} of an open need the file writable. */
  static boolean forWriting(int flags) {
    return (flags & Posix.O_ACCMODE) != Posix.O_RDONLY || (flags & Posix.O_TRUNC) != 0;
  }

  /**
   * Opens an existing file of {@code ref}. For writing, {@code writable} is the ref's writable tree
   * (the caller checked EROFS): the file is copied up first, without its content under
   * {@code O_TRUNC}.
   *
   * @return the handle
   */
  long open(RefTree ref, WritableOverlayTree writable, String path, int flags)
      throws IOException {
    Path real;
    if (writable != null) {
      real = writable.openForWrite(path, (flags & Posix.O_TRUNC) != 0);
    } else {
      Node node = ref.tree().resolve(path).orElseThrow(() -> new NoSuchFileException(path));
      if (node.isDirectory()) {
        throw new IsDirectoryException(path);
      }
      real = node.real();
      WritableOverlayTree tree = ref.writableOrNull();
      if (tree != null && !node.isUpper() && node.isRegularFile()) {
        return registerLowerReader(ref, tree, path, node, flags);
      }
      OpenFile file = openFile(ref, real, flags, false);
      file.offerPassthrough(node.stat().size() > CACHED_UP_TO);
      return files.register(file);
    }
    return register(ref, real, flags, true);
  }

  /**
   * A read-only open of a lower file of a writable tree: the handle follows the file's copy-up
   * (see {@link OpenFiles}). A copy-up between the resolution and the registration is caught
   * here: the copy then answers for {@code path} with the inode number the lower file showed.
   */
  private long registerLowerReader(RefTree ref, WritableOverlayTree tree, String path, Node node,
                                   int flags) throws IOException {
    OpenFiles.OpenFile file = openFile(ref, node.real(), flags, false);
    OpenFiles.LowerFile lower =
        new OpenFiles.LowerFile(tree, node.stat().dev(), node.stat().ino());
    long handle = files.registerLowerReader(file, lower);
    Optional<Node> now = tree.resolve(path);
    if (now.isPresent() && now.get().isUpper() && now.get().isRegularFile()
        && now.get().stat().dev() == lower.dev() && now.get().ino() == node.ino()) {
      files.follow(file, now.get().real().toString());
    }
    return handle;
  }

  /**
   * Creates a file through {@code writable} as {@code open(O_CREAT)} does and opens it. A file it
   * made is served by the descriptor that made it (open {@code O_RDWR}: the kernel checks the
   * caller's access mode itself), unless the caller's flags ask for more than an access mode
   * ({@code O_APPEND}, {@code O_SYNC}), which only a new open carries.
   *
   * @return the handle; {@link #readsAndWrites} says whether its descriptor is that one
   */
  long create(RefTree ref, WritableOverlayTree writable, String path, int mode, int uid, int gid,
              int flags) throws IOException {
    CreatedFile created =
        writable.createAndOpen(path, mode, uid, gid, (flags & Posix.O_EXCL) != 0);
    Path real = created.real();
    if (created.made()) {
      if ((flags & CARRIED_FLAGS & ~Posix.O_ACCMODE) == 0) {
        // New and empty: no O_TRUNC to apply, and no second open.
        return files.register(retained(ref, created.fd(), true).readingAndWriting());
      }
      Descriptors.close(created.fd());
      return register(ref, real, flags, true);
    }
    long handle = register(ref, real, flags, true);
    if ((flags & Posix.O_TRUNC) != 0) {
      // It existed (made by an earlier or racing request): O_TRUNC applies.
      int rc = Descriptors.ftruncate(files.get(handle).fd(), 0);
      if (rc < 0) {
        release(handle);
        throw ErrnoMapper.toException("ftruncate", -rc, real.toString(), null);
      }
    }
    return handle;
  }

  /**
   * Whether {@code handle}'s descriptor is open {@code O_RDWR} with no other flag, as the ones
   * files read and written by node are ({@link NodeFiles}): only a created file's, see
   * {@link #create}.
   */
  boolean readsAndWrites(long handle) {
    OpenFile file = files.get(handle);
    return file != null && file.readsAndWrites();
  }

  /** Opens {@code real}, a file of {@code ref} kept by a descriptor of the view's, as is. */
  long openKept(RefTree ref, Path real, int flags, boolean writable) throws IOException {
    // Without O_NOFOLLOW: the path is /proc's link to the kept descriptor's file.
    int fd = Descriptors.openRaw(real.toString(), (flags & CARRIED_FLAGS) | Posix.O_CLOEXEC, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("open", -fd, real.toString(), null);
    }
    return files.register(retained(ref, fd, writable));
  }

  private long register(RefTree ref, Path real, int flags, boolean writable) throws IOException {
    return files.register(openFile(ref, real, flags, writable));
  }

  private OpenFile openFile(RefTree ref, Path real, int flags, boolean writable)
      throws IOException {
    int fd = Descriptors.openRaw(real.toString(), (flags & CARRIED_FLAGS) | ADDED_FLAGS, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("open", -fd, real.toString(), null);
    }
    return retained(ref, fd, writable);
  }

  /** An open file of {@code fd} (owned from now on) holding a use of {@code ref}. */
  private static OpenFile retained(RefTree ref, int fd, boolean writable) {
    if (!ref.tryRetain()) {
      Descriptors.close(fd);
      throw new IllegalStateException("ref " + ref.id() + " closed while a request used it");
    }
    return new OpenFile(fd, ref, writable);
  }

  /** Bytes read into {@code buf}, or -errno. */
  int read(long handle, Pointer buf, long size, long offset) {
    OpenFile file = files.get(handle);
    if (file == null) {
      return -Errno.EBADF;
    }
    if (file.follows()) {
      return file.withFd(fd -> (int) Descriptors.pread(fd, buf, size, offset));
    }
    return (int) Descriptors.pread(file.fd(), buf, size, offset);
  }

  /** Bytes written from {@code buf}, or -errno ({@code EROFS} once the tree is frozen). */
  int write(long handle, Pointer buf, long size, long offset) {
    OpenFile file = files.get(handle);
    if (file == null) {
      return -Errno.EBADF;
    }
    if (!file.mayWrite()) {
      return file.writable() ? -Errno.EROFS : -Errno.EBADF;
    }
    return (int) Descriptors.pwrite(file.fd(), buf, size, offset);
  }

  /** 0 or -errno. */
  int truncate(long handle, long size) {
    OpenFile file = files.get(handle);
    if (file == null) {
      return -Errno.EBADF;
    }
    if (!file.mayWrite()) {
      return file.writable() ? -Errno.EROFS : -Errno.EBADF;
    }
    return Descriptors.ftruncate(file.fd(), size);
  }

  /** See {@link ViewOperations#dropSetIds}. */
  void dropSetIds(long handle) throws IOException {
    OpenFile file = files.get(handle);
    if (file == null) {
      throw ErrnoMapper.toException("chmod", Errno.EBADF, "fh " + handle, null);
    }
    if (!file.mayWrite()) {
      throw ErrnoMapper.toException("chmod", file.writable() ? Errno.EROFS : Errno.EBADF,
          "fh " + handle, null);
    }
    // The descriptor's own file by its /proc name: it may have no name left in the upper.
    Path self = Path.of("/proc/self/fd/" + file.fd());
    int mode = (Integer) Files.getAttribute(self, "unix:mode");
    int kept = withoutSetIds(mode);
    if (kept != mode) {
      Posix.chmod(self, kept & 07777);
    }
  }

  /**
   * {@code mode} as a write by a caller without {@code CAP_FSETID} leaves it: without setuid, and
   * without setgid if the group may execute (setgid alone marks mandatory locking and stays).
   */
  static int withoutSetIds(int mode) {
    int groupExecute = 0010;
    int kept = mode & ~Posix.S_ISUID;
    if ((mode & groupExecute) != 0) {
      kept &= ~Posix.S_ISGID;
    }
    return kept;
  }

  /** {@code fallocate(2)} on the file's descriptor (in the upper): 0 or -errno. */
  int fallocate(long handle, int mode, long offset, long length) {
    OpenFile file = files.get(handle);
    if (file == null) {
      return -Errno.EBADF;
    }
    if (!file.mayWrite()) {
      return file.writable() ? -Errno.EROFS : -Errno.EBADF;
    }
    return Descriptors.fallocate(file.fd(), mode, offset, length);
  }

  /** 0 or -errno. */
  int fsync(long handle, boolean dataOnly) {
    OpenFile file = files.get(handle);
    if (file == null) {
      return -Errno.EBADF;
    }
    return file.withFd(fd -> dataOnly ? Descriptors.fdatasync(fd) : Descriptors.fsync(fd));
  }

  /**
   * The descriptor the kernel may read {@code handle}'s file from itself (passthrough), or -1:
   * only a file of a read-only tree, immutable from its first open on (a committed tree may have
   * files the kernel still caches from before), whose descriptor never changes.
   */
  int passthroughDescriptor(long handle) {
    OpenFile file = files.get(handle);
    return file == null || file.follows() || !file.ofReadOnlyTree() || !file.passthroughOffered()
        ? -1 : file.fd();
  }

  /**
   * {@code fstat} of {@code handle}'s file into {@code into} (by its descriptor, which does not
   * change meanwhile).
   *
   * @throws IOException EBADF for an unknown handle, or what reading the attributes failed with
   */
  void attributes(long handle, FileAttributes into) throws IOException {
    OpenFile file = files.get(handle);
    if (file == null) {
      throw ErrnoMapper.toException("fstat", Errno.EBADF, "fh " + handle, null);
    }
    IOException[] failure = new IOException[1];
    int rc = file.withFd(fd -> {
      try {
        Attributes.ofDescriptor(fd, into);
        return 0;
      } catch (IOException e) {
        failure[0] = e;
        return -Errno.EIO;
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
    if (rc < 0) {
      throw ErrnoMapper.toException("fstat", -rc, "fh " + handle, null);
    }
  }

  /**
   * Closes the handle's descriptor and releases its use of the ref.
   *
   * @throws IOException if closing the descriptor failed (it is released anyway)
   */
  void release(long handle) throws IOException {
    if (!files.release(handle)) {
      throw ErrnoMapper.toException("release", Errno.EBADF, "fh " + handle, null);
    }
  }
}
