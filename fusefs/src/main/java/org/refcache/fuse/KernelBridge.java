package org.refcache.fuse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.FuseSession;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The kernel protocol's inode-based requests turned into the view's path-based operations
 * ({@link RefFileSystem}): node IDs to paths and back ({@link NodeTable}), request structures to
 * arguments, results to reply structures. Nothing about refs or trees is decided here.
 *
 * <p>Besides the node table this keeps what libfuse's high-level layer kept: directory listings
 * per open directory (served by offset), and files unlinked while open, which move to a hidden
 * name of their ref ({@link HiddenFiles}) until their last release, so that {@code fstat} and
 * {@code fchmod} on them still find them.
 *
 * <p>Locking: operations that turn a node into a path and act on it or record new names hold the
 * read side of their ref's lock ({@link StructureLocks}); renames hold the write side, so no path
 * is computed from a directory being renamed and used after it moved.
 */
final class KernelBridge implements FuseSession.Handler {

  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;

  private final RefFileSystem fs;
  private final NodeTable nodes = new NodeTable();
  private final StructureLocks structure = new StructureLocks();
  private final AtomicLong hiddenCounter = new AtomicLong();
  private final EntryReplies replies;
  private final DirectoryRequests directories;
  private final PassthroughFiles passthrough;

  KernelBridge(RefFileSystem fs, Duration entryTimeout, Duration attrTimeout) {
    this.fs = fs;
    this.replies = new EntryReplies(fs, entryTimeout, attrTimeout);
    this.directories = new DirectoryRequests(fs, nodes, replies);
    this.passthrough = new PassthroughFiles(fs, nodes, this::releasedOpen);
  }

  /** The session, once mounted: notifications go through it. */
  private volatile FuseSession session;

  void attach(FuseSession mounted) {
    this.session = mounted;
    passthrough.attach(mounted);
  }

  /**
   * Makes the kernel forget what it cached of ref {@code id} (its name in {@code /refs} and all
   * below), so the next access asks again: after the ref was committed or released.
   */
  void invalidateRef(String id) {
    FuseSession s = session;
    NodeTable.Node refs = nodes.at(MountPath.REFS_PATH);
    if (s != null && refs != null) {
      s.invalidateEntry(refs.id, id.getBytes(StandardCharsets.ISO_8859_1));
    }
    passthrough.dropRef(id);
    structure.forget(id);
  }

  @Override
  public void forget(long nodeId, long lookups) {
    nodes.forget(nodeId, lookups);
    passthrough.closeUnused();
  }


  @Override
  public void handle(Request r, Reply reply) {
    switch (r.opcode()) {
      case FuseKernel.LOOKUP -> lookup(r, reply);
      case FuseKernel.GETATTR -> underStructure(r, path -> getattr(r, reply, path));
      case FuseKernel.SETATTR -> underStructure(r, path -> setattr(r, reply, path));
      case FuseKernel.READLINK -> withPath(r, reply, path -> readlink(reply, path));
      case FuseKernel.SYMLINK -> symlink(r, reply);
      case FuseKernel.MKNOD -> mknod(r, reply);
      case FuseKernel.MKDIR -> mkdir(r, reply);
      case FuseKernel.UNLINK -> unlink(r, reply);
      case FuseKernel.RMDIR -> rmdir(r, reply);
      case FuseKernel.RENAME -> rename(r, reply, 8, 0);
      case FuseKernel.RENAME2 -> rename(r, reply, 16, r.i32(8));
      case FuseKernel.LINK -> link(r, reply);
      case FuseKernel.OPEN -> {
        // A read-only open answered from the node's backing file needs no path: no lock either.
        if (!passthrough.answerFromBacking(r.nodeId(), r.i32(0), reply)) {
          withPath(r, reply, path -> open(r, reply, path));
        }
      }
      case FuseKernel.READ -> read(r, reply);
      case FuseKernel.WRITE -> write(r, reply);
      case FuseKernel.STATFS -> underStructure(r, path -> statfs(reply, path));
      case FuseKernel.RELEASE -> release(r, reply);
      case FuseKernel.FSYNC -> fsync(r, reply);
      case FuseKernel.FALLOCATE -> fallocate(r, reply);
      case FuseKernel.SETXATTR -> withPath(r, reply, path -> setxattr(r, reply, path));
      case FuseKernel.GETXATTR -> withPath(r, reply, path -> getxattr(r, reply, false, path));
      case FuseKernel.LISTXATTR -> withPath(r, reply, path -> getxattr(r, reply, true, path));
      case FuseKernel.REMOVEXATTR -> withPath(r, reply,
          path -> EntryReplies.answer(fs.removexattr(path, r.name(0)), reply));
      case FuseKernel.OPENDIR -> withPath(r, reply, path -> directories.open(r, reply, path));
      case FuseKernel.READDIR -> underStructure(r,
          path -> directories.read(r, reply, false, path));
      case FuseKernel.READDIRPLUS -> underStructure(r,
          path -> directories.read(r, reply, true, path));
      case FuseKernel.RELEASEDIR -> directories.release(r, reply);
      case FuseKernel.FSYNCDIR -> withPath(r, reply, path -> EntryReplies.answer(
          fs.fsyncdir(path, RequestScratch.get().fileInfo(0, r.i64(0))), reply));
      case FuseKernel.ACCESS -> withPath(r, reply,
          path -> EntryReplies.answer(fs.access(path, r.i32(0)), reply));
      case FuseKernel.CREATE -> create(r, reply);
      // FLUSH: nothing is buffered; after the first ENOSYS the kernel stops sending it.
      // Locks, lseek, copy_file_range: the kernel's own fallbacks; ioctl, poll: not supported.
      default -> reply.error(Errno.ENOSYS);
    }
  }

  /**
   * Runs an operation on the request's node under the read side of its ref's structure lock, so a
   * rename of a directory above cannot move the node's path while the operation uses it. The
   * operation gets that path, computed under the lock (null for a node without a name).
   */
  private void underStructure(Request r, Consumer<String> operation) {
    java.util.concurrent.locks.Lock lock = structureOf(r).readLock();
    lock.lock();
    try {
      operation.accept(nodes.path(r.nodeId()));
    } finally {
      lock.unlock();
    }
  }

  /** The structure lock of the ref of the request's node (a node never changes refs). */
  private java.util.concurrent.locks.ReadWriteLock structureOf(Request r) {
    return structure.of(nodes.path(r.nodeId()));
  }

  /** As {@link #underStructure}, for operations that need a name: a node without one is ENOENT. */
  private void withPath(Request r, Reply reply, Consumer<String> operation) {
    underStructure(r, path -> {
      if (path == null) {
        reply.error(Errno.ENOENT);
      } else {
        operation.accept(path);
      }
    });
  }

  // ---- names -----------------------------------------------------------------------------------

  private void lookup(Request r, Reply reply) {
    inDirectory(r, reply, r.name(0), path -> answerEntry(path, reply));
  }

  /** Looks {@code path} up and answers it as a new reference to its node (or with the error). */
  private void answerEntry(String path, Reply reply) {
    FileStat stat = RequestScratch.get().clearedStat();
    int rc = fs.getattr(path, stat);
    if (rc == -Errno.ENOENT && MountPath.insideRef(path)) {
      replies.negative(path, reply);
      return;
    }
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    int mode = stat.st_mode.intValue();
    NodeTable.Node node = nodes.entered(path, stat.st_ino.longValue(),
        stat.st_nlink.longValue(), (mode & Posix.S_IFMT) == Posix.S_IFDIR);
    replies.putEntry(reply.begin(), node.id, stat, path);
    if (!reply.send()) {
      nodes.forget(node.id, 1); // withdrawn: the kernel never counted this lookup
    }
  }

  private void getattr(Request r, Reply reply, String path) {
    int flags = r.i32(0);
    long fh = r.i64(8);
    RequestScratch s = RequestScratch.get();
    FileStat stat = s.clearedStat();
    int rc;
    if ((flags & FuseKernel.GETATTR_FH) != 0) {
      rc = fs.fgetattr(path, stat, s.fileInfo(0, fh));
    } else if (path == null) {
      rc = -Errno.ENOENT;
    } else {
      rc = fs.getattr(path, stat);
    }
    replies.attr(rc, stat, reply, path);
  }

  /**
   * fuse_setattr_in: valid 0, fh 8, size 16, atime 32, mtime 40, atimensec 56, mtimensec 60,
   * mode 68, uid 76, gid 80. Applied in libfuse's order: mode, owner, size, times. A request with
   * none of them is {@code chown(-1, -1)} or the like, which changes only the ctime.
   */
  private void setattr(Request r, Reply reply, String path) {
    int valid = r.i32(0);
    long fh = r.i64(8);
    boolean byHandle = (valid & FuseKernel.FATTR_FH) != 0;
    RequestScratch s = RequestScratch.get();
    if (path == null && !byHandle) {
      reply.error(Errno.ENOENT);
      return;
    }
    int rc = 0;
    int changes = FuseKernel.FATTR_MODE | FuseKernel.FATTR_UID | FuseKernel.FATTR_GID
        | FuseKernel.FATTR_SIZE | FuseKernel.FATTR_ATIME | FuseKernel.FATTR_MTIME;
    if ((valid & FuseKernel.FATTR_MODE) != 0) {
      rc = path == null ? -Errno.ENOENT : fs.chmod(path, r.i32(68) & 0xffffffffL);
    }
    if (rc == 0 && (valid & (FuseKernel.FATTR_UID | FuseKernel.FATTR_GID)) != 0) {
      long uid = (valid & FuseKernel.FATTR_UID) != 0 ? r.i32(76) & 0xffffffffL : -1L;
      long gid = (valid & FuseKernel.FATTR_GID) != 0 ? r.i32(80) & 0xffffffffL : -1L;
      rc = path == null ? -Errno.ENOENT : fs.chown(path, uid, gid);
    }
    if (rc == 0 && (valid & FuseKernel.FATTR_SIZE) != 0) {
      long size = r.i64(16);
      rc = byHandle ? fs.ftruncate(path, size, s.fileInfo(0, fh)) : fs.truncate(path, size);
    }
    if (rc == 0 && (valid & (FuseKernel.FATTR_ATIME | FuseKernel.FATTR_MTIME)) != 0) {
      setTime(s.times[0], valid, FuseKernel.FATTR_ATIME, FuseKernel.FATTR_ATIME_NOW, r.i64(32),
          r.i32(56));
      setTime(s.times[1], valid, FuseKernel.FATTR_MTIME, FuseKernel.FATTR_MTIME_NOW, r.i64(40),
          r.i32(60));
      rc = path == null ? -Errno.ENOENT : fs.utimens(path, s.times);
    }
    if (rc == 0 && (valid & changes) == 0) {
      rc = path == null ? -Errno.ENOENT : fs.chown(path, -1L, -1L);
    }
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    FileStat stat = s.clearedStat();
    rc = byHandle ? fs.fgetattr(path, stat, s.fileInfo(0, fh)) : fs.getattr(path, stat);
    replies.attr(rc, stat, reply, path);
  }

  private static void setTime(Timespec time, int valid, int bit, int nowBit, long seconds,
                              int nanos) {
    if ((valid & bit) == 0) {
      time.tv_sec.set(0);
      time.tv_nsec.set(UTIME_OMIT);
    } else if ((valid & nowBit) != 0) {
      time.tv_sec.set(0);
      time.tv_nsec.set(UTIME_NOW);
    } else {
      time.tv_sec.set(seconds);
      time.tv_nsec.set(nanos & 0xffffffffL);
    }
  }

  private void readlink(Reply reply, String path) {
    RequestScratch s = RequestScratch.get();
    int rc = fs.readlink(path, s.linkMemory, RequestScratch.PATH_MAX + 1);
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    int length = 0;
    while (length < RequestScratch.PATH_MAX && s.linkMemory.getByte(length) != 0) {
      length++;
    }
    byte[] target = new byte[length];
    s.linkMemory.get(0, target, 0, length);
    reply.begin().put(target);
    reply.send();
  }

  /** A name of a new entry in directory {@code parent}, or null (answered) if there is none. */
  private String newName(long parent, String name, Reply reply) {
    String path = nodes.child(parent, name);
    if (path == null) {
      reply.error(Errno.ENOENT);
    }
    return path;
  }

  private void symlink(Request r, Reply reply) {
    String name = r.name(0);
    String target = r.name(r.nameLength(0) + 1);
    creating(r, reply, name, path -> fs.symlink(target, path));
  }

  /** fuse_mknod_in: mode, rdev, umask, padding; the name follows. */
  private void mknod(Request r, Reply reply) {
    long mode = r.i32(0) & 0xffffffffL;
    long rdev = r.i32(4) & 0xffffffffL;
    creating(r, reply, r.name(16), path -> fs.mknod(path, mode, rdev));
  }

  /** fuse_mkdir_in: mode, umask; the name follows. */
  private void mkdir(Request r, Reply reply) {
    long mode = r.i32(0) & 0xffffffffL;
    creating(r, reply, r.name(8), path -> fs.mkdir(path, mode));
  }

  private interface PathOperation {
    int apply(String path);
  }

  /**
   * Runs {@code action} on {@code name} in directory {@code r.nodeId()} under the read side of its
   * ref's structure lock; an unknown directory is ENOENT. The action answers.
   */
  private void inDirectory(Request r, Reply reply, String name, Consumer<String> action) {
    withPath(r, reply, dir -> action.accept(NodeTable.childPath(dir, name)));
  }

  private void creating(Request r, Reply reply, String name, PathOperation make) {
    inDirectory(r, reply, name, path -> {
      int rc = asCaller(r, () -> make.apply(path));
      if (rc != 0) {
        reply.error(-rc);
        return;
      }
      answerEntry(path, reply);
    });
  }

  /** Runs {@code operation} as the request's caller: the owner of what it creates. */
  private static int asCaller(Request r, java.util.function.IntSupplier operation) {
    RefFileSystem.requestCaller(r.uid(), r.gid());
    try {
      return operation.getAsInt();
    } finally {
      RefFileSystem.requestCaller(-1, -1);
    }
  }

  private void unlink(Request r, Reply reply) {
    inDirectory(r, reply, r.name(0), path -> {
      NodeTable.Node open = nodes.openWithLastName(path);
      int rc;
      if (open != null) {
        rc = hide(open, path);
      } else {
        rc = fs.unlink(path);
        if (rc == 0) {
          nodes.unlinked(path);
        }
      }
      EntryReplies.answer(rc, reply);
    });
  }

  private void rmdir(Request r, Reply reply) {
    inDirectory(r, reply, r.name(0), path -> {
      int rc = fs.rmdir(path);
      if (rc == 0) {
        nodes.unlinked(path);
      }
      EntryReplies.answer(rc, reply);
    });
  }

  /**
   * Unlinks the last name of an open file by moving it to a hidden name of its ref, which the
   * view unlinks from the tree at once and answers for until the last release.
   */
  private int hide(NodeTable.Node node, String path) {
    String hidden = hiddenName(node, path);
    int rc = fs.rename(path, hidden);
    if (rc == 0) {
      keepHidden(node, path, hidden);
    }
    return rc;
  }

  /** A hidden name for {@code node} in the root of the ref of {@code path}. */
  private String hiddenName(NodeTable.Node node, String path) {
    String refRoot = MountPath.refRoot(MountPath.refIdOf(path));
    return String.format("%s/.fuse_hidden%08x%08x", refRoot, node.id & 0xffffffffL,
        hiddenCounter.incrementAndGet() & 0xffffffffL);
  }

  /** Records the hidden name, or drops it at once if the last open file was released meanwhile. */
  private void keepHidden(NodeTable.Node node, String path, String hidden) {
    if (!nodes.hidden(node, path, hidden)) {
      fs.unlink(hidden);
    }
  }


  /** fuse_rename_in: newdir (8 bytes); fuse_rename2_in: newdir, flags, padding (16 bytes). */
  private void rename(Request r, Reply reply, int namesAt, int flags) {
    long newDir = r.i64(0);
    String oldName = r.name(namesAt);
    String newName = r.name(namesAt + r.nameLength(namesAt) + 1);
    java.util.concurrent.locks.Lock lock = structureOf(r).writeLock();
    lock.lock();
    try {
      String from = newName(r.nodeId(), oldName, reply);
      if (from == null) {
        return;
      }
      String to = newName(newDir, newName, reply);
      if (to == null) {
        return;
      }
      if (from.equals(to)) {
        EntryReplies.answer(fs.getattr(from, RequestScratch.get().clearedStat()), reply);
        return;
      }
      // A file renamed over while open stays reachable through its descriptors.
      NodeTable.Node replaced = flags == 0 ? nodes.openWithLastName(to) : null;
      String hidden = replaced == null ? null : hiddenName(replaced, to);
      int rc = hidden == null ? fs.rename(from, to, flags) : fs.renameOverOpen(from, to, hidden);
      if (rc == 0) {
        if (hidden != null) {
          keepHidden(replaced, to, hidden);
        }
        nodes.renamed(from, to, (flags & Posix.RENAME_EXCHANGE) != 0);
      }
      EntryReplies.answer(rc, reply);
    } finally {
      lock.unlock();
    }
  }

  /** fuse_link_in: oldnodeid; the new name follows. */
  private void link(Request r, Reply reply) {
    long existingId = r.i64(0);
    inDirectory(r, reply, r.name(8), path -> {
      String existing = nodes.path(existingId);
      if (existing == null) {
        reply.error(Errno.ENOENT);
        return;
      }
      int rc = fs.link(existing, path);
      FileStat stat = RequestScratch.get().clearedStat();
      if (rc == 0) {
        rc = fs.getattr(path, stat);
      }
      if (rc != 0) {
        reply.error(-rc);
        return;
      }
      NodeTable.Node node = nodes.linked(existingId, path, stat.st_ino.longValue());
      if (node == null) {
        node = nodes.entered(path, stat.st_ino.longValue(), stat.st_nlink.longValue(), false);
      }
      replies.putEntry(reply.begin(), node.id, stat, path);
      if (!reply.send()) {
        nodes.forget(node.id, 1); // withdrawn: the kernel never counted this lookup
      }
    });
  }

  // ---- open files ------------------------------------------------------------------------------

  /** fuse_open_in: flags, open_flags. */
  private void open(Request r, Reply reply, String path) {
    int flags = r.i32(0);
    FuseFileInfo fi = RequestScratch.get().fileInfo(flags, 0);
    int rc = fs.open(path, fi);
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    nodes.opened(r.nodeId());
    int backing = passthrough.register(fi.fh.get(), r.nodeId());
    ByteBuffer out = reply.begin();
    if (backing > 0) {
      out.putLong(fi.fh.get());
      out.putInt(FuseKernel.FOPEN_PASSTHROUGH);
      out.putInt(backing);
    } else {
      EntryReplies.putOpen(out, fi);
    }
    if (!reply.send()) {
      fs.release(path, fi); // withdrawn: no RELEASE will come for it
      releasedOpen(r.nodeId());
      passthrough.closeUnused();
    }
  }

  /** fuse_create_in: flags, mode, umask, open_flags; the name follows. */
  private void create(Request r, Reply reply) {
    int flags = r.i32(0);
    long mode = r.i32(4) & 0xffffffffL;
    inDirectory(r, reply, r.name(16), path -> {
      RequestScratch s = RequestScratch.get();
      FuseFileInfo fi = s.fileInfo(flags, 0);
      int rc = asCaller(r, () -> fs.create(path, mode, fi));
      if (rc != 0) {
        reply.error(-rc);
        return;
      }
      FileStat stat = s.clearedStat();
      rc = fs.fgetattr(path, stat, fi);
      if (rc != 0) {
        fs.release(path, fi);
        reply.error(-rc);
        return;
      }
      NodeTable.Node node = nodes.entered(path, stat.st_ino.longValue(),
          stat.st_nlink.longValue(), false);
      nodes.opened(node.id);
      ByteBuffer out = reply.begin();
      replies.putEntry(out, node.id, stat, path);
      EntryReplies.putOpen(out, fi);
      if (!reply.send()) {
        // Withdrawn: the kernel never got the node or the open file.
        fs.release(path, fi);
        releasedOpen(node.id);
        nodes.forget(node.id, 1);
      }
    });
  }

  /** fuse_read_in: fh 0, offset 8, size 16. The data goes straight into the reply buffer. */
  private void read(Request r, Reply reply) {
    long fh = r.i64(0);
    long offset = r.i64(8);
    int size = Math.min(r.i32(16), reply.capacity());
    int n = fs.read(null, reply.payloadMemory(), size, offset, RequestScratch.get().fileInfo(0, fh));
    if (n < 0) {
      reply.error(-n);
      return;
    }
    reply.sendPayload(n);
  }

  /** fuse_write_in: fh 0, offset 8, size 16; the data follows the 40-byte structure. */
  private void write(Request r, Reply reply) {
    long fh = r.i64(0);
    long offset = r.i64(8);
    int size = r.i32(16);
    Pointer data = r.data(FuseKernel.WRITE_IN_SIZE, size);
    int n = fs.write(null, data, size, offset, RequestScratch.get().fileInfo(0, fh));
    if (n < 0) {
      reply.error(-n);
      return;
    }
    ByteBuffer out = reply.begin();
    out.putInt(n);
    out.putInt(0);
    reply.send();
  }

  /** fuse_release_in: fh, flags, release_flags, lock_owner. */
  private void release(Request r, Reply reply) {
    long fh = r.i64(0);
    if (fh != PassthroughFiles.NO_HANDLE) {
      fs.release(null, RequestScratch.get().fileInfo(r.i32(8), fh));
    }
    releasedOpen(r.nodeId());
    passthrough.closeUnused();
    reply.ok();
  }

  /** fuse_fallocate_in: fh 0, offset 8, length 16, mode 24. */
  private void fallocate(Request r, Reply reply) {
    long fh = r.i64(0);
    if (fh == PassthroughFiles.NO_HANDLE) {
      reply.error(Errno.EBADF); // a read-only open
      return;
    }
    FuseFileInfo fi = RequestScratch.get().fileInfo(0, fh);
    EntryReplies.answer(fs.fallocate(null, r.i32(24), r.i64(8), r.i64(16), fi), reply);
  }

  /**
   * Counts a released open of {@code nodeId}; the last open file of an unlinked one lets its
   * hidden name go. No structure lock: a hidden name lies in its ref's root, which no rename moves,
   * and the node table decides alone who drops it.
   */
  void releasedOpen(long nodeId) {
    String hidden = nodes.released(nodeId);
    if (hidden != null) {
      fs.unlink(hidden);
    }
  }

  /** fuse_fsync_in: fh, fsync_flags. */
  private void fsync(Request r, Reply reply) {
    if (r.i64(0) == PassthroughFiles.NO_HANDLE) {
      reply.ok(); // a read-only passthrough open: nothing of it can be dirty
      return;
    }
    FuseFileInfo fi = RequestScratch.get().fileInfo(0, r.i64(0));
    boolean dataOnly = (r.i32(8) & FuseKernel.FSYNC_FDATASYNC) != 0;
    EntryReplies.answer(fs.fsync(null, dataOnly ? 1 : 0, fi), reply);
  }

  private void statfs(Reply reply, String path) {
    RequestScratch s = RequestScratch.get();
    s.statvfsMemory.setMemory(0, 256, (byte) 0);
    int rc = fs.statfs(path == null ? "/" : path, s.statvfs);
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    Statvfs v = s.statvfs;
    ByteBuffer out = reply.begin();
    out.putLong(v.f_blocks.longValue());
    out.putLong(v.f_bfree.longValue());
    out.putLong(v.f_bavail.longValue());
    out.putLong(v.f_files.longValue());
    out.putLong(v.f_ffree.longValue());
    out.putInt(v.f_bsize.intValue());
    out.putInt(v.f_namemax.intValue());
    out.putInt(v.f_frsize.intValue());
    for (int i = 0; i < 7; i++) {
      out.putInt(0); // padding, spare[6]
    }
    reply.send();
  }

  // ---- extended attributes ---------------------------------------------------------------------

  /** fuse_setxattr_in: size, flags; the name and the value follow. */
  private void setxattr(Request r, Reply reply, String path) {
    int size = r.i32(0);
    int flags = r.i32(4);
    int nameLength = r.nameLength(8);
    String name = r.name(8);
    Pointer value = r.data(8 + nameLength + 1, size);
    EntryReplies.answer(fs.setxattr(path, name, value, size, flags), reply);
  }

  /** fuse_getxattr_in: size, padding; a getxattr's name follows. */
  private void getxattr(Request r, Reply reply, boolean list, String path) {
    int size = r.i32(0);
    if (size > reply.capacity()) {
      size = reply.capacity();
    }
    int n = list ? fs.listxattr(path, reply.payloadMemory(), size)
        : fs.getxattr(path, r.name(8), reply.payloadMemory(), size);
    if (n < 0) {
      reply.error(-n);
    } else if (size == 0) {
      ByteBuffer out = reply.begin();
      out.putInt(n);
      out.putInt(0);
      reply.send();
    } else {
      reply.sendPayload(n);
    }
  }
}
