package org.refcache.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.FuseSession;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Errno;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;

/**
 * The kernel transport's adapter: the FUSE protocol's inode-based requests turned into the
 * view's operations ({@link ViewOperations}) on typed places: node IDs to places and back
 * ({@link NodeTable}), request structures to arguments, results to reply structures. Nothing
 * about refs or trees is decided here, and nothing is parsed from a string: a node's place is
 * built from its parent's and its name when the kernel looks it up.
 *
 * <p>Besides the node table this keeps what libfuse's high-level layer kept: directory listings
 * per reader (served by offset; directories are opened without requests, see
 * {@link DirectoryRequests}), and files unlinked while open, which the view keeps
 * reachable ({@link ViewOperations#unlinkOpen}) until their last release, so that {@code fstat}
 * and {@code fchmod} on them still find them.
 *
 * <p>With opens that take no request ({@link FuseOptions#opensWithoutRequests}) OPEN is answered
 * ENOSYS, requests on open files come with handle 0 and go to the node's file ({@link NodeFiles}),
 * and a file the kernel holds counts as open for unlink and rename ({@link NodeTable}).
 *
 * <p>Failures: every view call's exception is answered as its errno here, in {@link #handle}
 * ({@link ViewFailures}); the operations below only answer success.
 *
 * <p>Locking: operations that turn a node into a place and act on it or record new names hold
 * the read side of their ref's lock ({@link StructureLocks}); renames hold the write side, so no
 * place is computed from a directory being renamed and used after it moved.
 */
final class KernelBridge implements FuseSession.Handler {

  private final ViewOperations view;
  private final NodeTable nodes;
  private final StructureLocks structure = new StructureLocks();
  private final DirectoryRequests directories;
  private final PassthroughFiles passthrough;
  /** Whether OPEN is answered ENOSYS: files are then read and written by node. */
  private final boolean opensWithoutRequests;
  private final NodeFiles nodeFiles;
  /** Refs that went while the kernel held files of them (opens without requests). */
  private final HeldFilesOfRefs heldFilesOfRefs;
  private final AttributeRequests attributes;

  KernelBridge(ViewOperations view) {
    this(view, false, id -> { });
  }

  /**
   * @param opensWithoutRequests answer OPEN with ENOSYS ({@link FuseOptions#opensWithoutRequests})
   * @param releaseKept          lets a ref's kept tree go once the kernel forgot its files
   *                             ({@link RefTrees#releaseKept})
   */
  KernelBridge(ViewOperations view, boolean opensWithoutRequests,
      java.util.function.Consumer<String> releaseKept) {
    this.view = view;
    this.heldFilesOfRefs = new HeldFilesOfRefs(releaseKept);
    this.opensWithoutRequests = opensWithoutRequests;
    this.nodes = new NodeTable(opensWithoutRequests);
    this.directories = new DirectoryRequests(view, nodes);
    this.passthrough = new PassthroughFiles(nodes, this::releasedOpen);
    this.nodeFiles = new NodeFiles(view, this::openByNode);
    this.attributes = new AttributeRequests(view, nodeFiles, this::byNode);
  }

  /** Closes the files kept for reads and writes by node (at unmount). */
  void closeNodeFiles() {
    nodeFiles.close();
  }

  /** The session, once mounted: notifications go through it. */
  private volatile FuseSession session;

  void attach(FuseSession mounted) {
    this.session = mounted;
    passthrough.attach(mounted);
  }

  /**
   * Whether the kernel may hold files of ref {@code id} open without the view knowing
   * (opens without requests), so that the ref's data must be kept if it goes.
   */
  boolean holdsFilesOf(String id) {
    return opensWithoutRequests && !nodes.filesInRef(id).isEmpty();
  }

  /**
   * Makes the kernel forget what it cached of ref {@code id} (its name in {@code /refs} and all
   * below), so the next access asks again: after the ref was committed or released.
   *
   * @param kept whether the ref's tree was kept ({@link RefTrees#keepForHeldFiles}) for the
   *             files of it the kernel holds: it is let go when the kernel forgot the last one
   */
  void invalidateRef(String id, boolean kept) {
    FuseSession s = session;
    NodeTable.Node refs = nodes.at(MountPath.REFS);
    if (opensWithoutRequests) {
      // Files open without a request stay hashed in the kernel's cache after their ref's name is
      // dropped, and a closed one would never be forgotten: unhash each whose node keeps a file
      // (every file the kernel holds, when the ref went), so that its close lets the kernel
      // forget it and its file (and the ref's data) goes.
      java.util.List<Long> files = kept ? nodes.filesInRef(id) : nodeFiles.nodes();
      if (kept) {
        heldFilesOfRefs.track(id, files, nodes::contains);
      }
      if (s != null) {
        for (NodeTable.Name name : nodes.namesInRef(files, id)) {
          s.invalidateEntry(name.parentId(), name.name().getBytes(StandardCharsets.ISO_8859_1));
        }
      }
    }
    if (s != null && refs != null) {
      s.invalidateEntry(refs.id, id.getBytes(StandardCharsets.ISO_8859_1));
      // The kernel keeps every listing (directories open without a request): /refs changes
      // without a request through it, so its cached listing goes (a new ref, a gone one).
      s.invalidateInode(refs.id);
    }
    passthrough.dropRef(id);
    structure.forget(id);
  }

  @Override
  public void forget(long nodeId, long lookups) {
    MountPath kept = nodes.forget(nodeId, lookups);
    if (opensWithoutRequests && !nodes.contains(nodeId)) {
      nodeFiles.forgotten(nodeId);
      heldFilesOfRefs.forgotten(nodeId);
    }
    if (kept != null) {
      view.forgetUnlinked(kept);
    }
    passthrough.closeUnused();
  }

  /** An operation on the place a request names. */
  private interface PathOperation {
    void run(MountPath at) throws IOException;
  }

  @Override
  public void handle(Request r, Reply reply) {
    try {
      dispatch(r, reply);
    } catch (IOException | RuntimeException e) {
      if (e instanceof Request.MalformedRequestException || reply.sent()) {
        throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
      }
      reply.error(ViewFailures.errno(FuseKernel.opcodeName(r.opcode()).toLowerCase(Locale.ROOT), subject(r), e));
    }
  }

  private void dispatch(Request r, Reply reply) throws IOException {
    switch (r.opcode()) {
      case FuseKernel.LOOKUP -> inDirectory(r, r.name(0), at -> answerEntry(at, reply));
      case FuseKernel.GETATTR -> underStructure(r, at -> attributes.getattr(r, reply, at));
      case FuseKernel.SETATTR -> underStructure(r, at -> attributes.setattr(r, reply, at));
      case FuseKernel.READLINK -> withPath(r, at -> {
        reply.begin().put(FileNames.bytes(view.readlink(at)));
        reply.send();
      });
      case FuseKernel.SYMLINK -> symlink(r, reply);
      case FuseKernel.MKNOD -> mknod(r, reply);
      case FuseKernel.MKDIR -> mkdir(r, reply);
      case FuseKernel.UNLINK -> unlink(r, reply);
      case FuseKernel.RMDIR -> inDirectory(r, r.name(0), at -> {
        view.rmdir(at);
        nodes.unlinked(at);
        reply.ok();
      });
      case FuseKernel.RENAME -> rename(r, reply, 8, 0);
      case FuseKernel.RENAME2 -> rename(r, reply, 16, r.i32(8));
      case FuseKernel.LINK -> link(r, reply);
      case FuseKernel.OPEN -> {
        if (opensWithoutRequests) {
          // The kernel opens (and closes) every file without asking from now on.
          reply.error(Errno.ENOSYS);
          return;
        }
        // A read-only open answered from the node's backing file needs no path: no lock either.
        if (!passthrough.answerFromBacking(r.nodeId(), r.i32(0), reply)) {
          withPath(r, at -> open(r, reply, at));
        }
      }
      case FuseKernel.READ -> read(r, reply);
      case FuseKernel.WRITE -> write(r, reply);
      case FuseKernel.STATFS -> underStructure(r, at -> statfs(reply, at));
      case FuseKernel.RELEASE -> release(r, reply);
      case FuseKernel.FSYNC -> fsync(r, reply);
      case FuseKernel.FALLOCATE -> {
        // fuse_fallocate_in: fh 0, offset 8, length 16, mode 24. A read-only passthrough open
        // has no handle (0): the view knows no such handle (EBADF).
        if (byNode(r.i64(0))) {
          nodeFiles.fallocate(r.nodeId(), r.i32(24), r.i64(8), r.i64(16));
        } else {
          view.fallocate(r.i64(0), r.i32(24), r.i64(8), r.i64(16));
        }
        reply.ok();
      }
      case FuseKernel.SETXATTR -> withPath(r, at -> XattrRequests.set(view, r, reply, at));
      case FuseKernel.GETXATTR -> withPath(r, at -> XattrRequests.get(view, r, reply, false, at));
      case FuseKernel.LISTXATTR -> withPath(r, at -> XattrRequests.get(view, r, reply, true, at));
      case FuseKernel.REMOVEXATTR -> withPath(r, at -> {
        view.removexattr(at, r.name(0));
        reply.ok();
      });
      // Directories are opened and closed without a request (see DirectoryRequests).
      case FuseKernel.OPENDIR -> reply.error(Errno.ENOSYS);
      case FuseKernel.READDIR -> underStructure(r, at -> directories.read(r, reply, false, at));
      case FuseKernel.READDIRPLUS -> underStructure(r,
          at -> directories.read(r, reply, true, at));
      case FuseKernel.RELEASEDIR -> directories.release(reply);
      case FuseKernel.FSYNCDIR -> withPath(r, at -> {
        view.syncDirectory(at);
        reply.ok();
      });
      case FuseKernel.ACCESS -> withPath(r, at -> {
        view.access(at, r.i32(0));
        reply.ok();
      });
      case FuseKernel.CREATE -> create(r, reply);
      // FLUSH: nothing is buffered; after the first ENOSYS the kernel stops sending it.
      // Locks, lseek, copy_file_range: the kernel's own fallbacks; ioctl, poll: not supported.
      default -> reply.error(Errno.ENOSYS);
    }
  }

  /**
   * Runs an operation on the request's node under the read side of its ref's structure lock, so a
   * rename of a directory above cannot move the node's place while the operation uses it. The
   * operation gets that place, computed under the lock (null for an unknown node).
   */
  private void underStructure(Request r, PathOperation operation) throws IOException {
    Lock lock = structure.of(nodes.path(r.nodeId())).readLock();
    lock.lock();
    try {
      operation.run(nodes.path(r.nodeId()));
    } finally {
      lock.unlock();
    }
  }

  /** As {@link #underStructure}, for operations that need a place: an unknown node is ENOENT. */
  private void withPath(Request r, PathOperation operation) throws IOException {
    underStructure(r, at -> operation.run(known(at, r.nodeId())));
  }

  /**
   * Runs {@code action} on {@code name} in directory {@code r.nodeId()} under the read side of its
   * ref's structure lock; an unknown directory is ENOENT. The action answers.
   */
  private void inDirectory(Request r, String name, PathOperation action) throws IOException {
    withPath(r, dir -> action.run(dir.child(name)));
  }

  /** {@code at}, or ENOENT for a node without a name (unlinked or gone). */
  static MountPath known(MountPath at, long nodeId) throws NoSuchFileException {
    if (at == null) {
      throw new NoSuchFileException("node " + nodeId);
    }
    return at;
  }

  // ---- names -----------------------------------------------------------------------------------

  /** Looks {@code at} up and answers it as a new reference to its node (or as missing). */
  private void answerEntry(MountPath at, Reply reply) throws IOException {
    FileAttributes attributes = RequestScratch.attributes();
    Entry entry = view.lookup(at, attributes);
    if (!entry.exists()) {
      EntryReplies.missing(entry, reply);
      return;
    }
    NodeTable.Node node = nodes.entered(at, attributes.ino(), attributes.nlink(),
        attributes.isDirectory());
    EntryReplies.putEntry(reply.begin(), node.id, entry);
    if (!reply.send()) {
      nodes.forget(node.id, 1); // withdrawn: the kernel never counted this lookup
    }
  }

  /**
   * The attributes of a node: by its place when it has one (as libfuse did, also for an
   * {@code fstat}), else by the open file the request names.
   */
  private void symlink(Request r, Reply reply) throws IOException {
    String name = r.name(0);
    String target = r.name(r.nameLength(0) + 1);
    creating(r, reply, name, (at, caller) -> view.symlink(at, target, caller));
  }

  /** fuse_mknod_in: mode, rdev, umask, padding; the name follows. */
  private void mknod(Request r, Reply reply) throws IOException {
    int mode = r.i32(0);
    long rdev = r.i32(4) & 0xffffffffL;
    creating(r, reply, r.name(16), (at, caller) -> view.mknod(at, mode, rdev, caller));
  }

  /** fuse_mkdir_in: mode, umask; the name follows. */
  private void mkdir(Request r, Reply reply) throws IOException {
    int mode = r.i32(0);
    creating(r, reply, r.name(8), (at, caller) -> view.mkdir(at, mode, caller));
  }

  /** An operation that makes a new entry, owned by the request's caller. */
  private interface Making {
    void make(MountPath at, Caller caller) throws IOException;
  }

  private void creating(Request r, Reply reply, String name, Making making) throws IOException {
    inDirectory(r, name, at -> {
      making.make(at, caller(r));
      answerEntry(at, reply);
    });
  }

  /** The request's caller: the owner of what it creates. */
  private static Caller caller(Request r) {
    return new Caller(r.uid(), r.gid());
  }

  /**
   * Unlinks a name; the last name of an open file leaves the tree as any other, and the view
   * keeps the file reachable for the node until its last release.
   */
  private void unlink(Request r, Reply reply) throws IOException {
    inDirectory(r, r.name(0), at -> {
      NodeTable.Node open = nodes.openWithLastName(at);
      if (open != null) {
        keepUnlinked(open, at, view.unlinkOpen(at));
      } else {
        view.unlink(at);
        nodes.unlinked(at);
      }
      reply.ok();
    });
  }

  /** Records where the view keeps a node's file, or lets it go if it was released meanwhile. */
  private void keepUnlinked(NodeTable.Node node, MountPath at, MountPath kept) {
    if (!nodes.keptUnlinked(node, at, kept)) {
      view.forgetUnlinked(kept);
    }
  }

  /** fuse_rename_in: newdir (8 bytes); fuse_rename2_in: newdir, flags, padding (16 bytes). */
  private void rename(Request r, Reply reply, int namesAt, int flags) throws IOException {
    long newDir = r.i64(0);
    String oldName = r.name(namesAt);
    String newName = r.name(namesAt + r.nameLength(namesAt) + 1);
    Lock lock = structure.of(nodes.path(r.nodeId())).writeLock();
    lock.lock();
    try {
      MountPath from = known(nodes.child(r.nodeId(), oldName), r.nodeId());
      MountPath to = known(nodes.child(newDir, newName), newDir);
      if (from.equals(to)) {
        if (!view.lookup(from, RequestScratch.attributes()).exists()) {
          throw new NoSuchFileException(from.toString());
        }
        reply.ok();
        return;
      }
      // A file renamed over while open stays reachable through its descriptors.
      NodeTable.Node replaced = flags == 0 ? nodes.openWithLastName(to) : null;
      if (replaced != null) {
        MountPath kept = view.renameOverOpen(from, to);
        if (kept != null) {
          keepUnlinked(replaced, to, kept);
        }
      } else {
        view.rename(from, to, flags);
      }
      nodes.renamed(from, to, (flags & org.refcache.posix.Posix.RENAME_EXCHANGE) != 0);
      reply.ok();
    } finally {
      lock.unlock();
    }
  }

  /** fuse_link_in: oldnodeid; the new name follows. */
  private void link(Request r, Reply reply) throws IOException {
    long existingId = r.i64(0);
    inDirectory(r, r.name(8), at -> {
      view.link(known(nodes.path(existingId), existingId), at);
      FileAttributes attributes = RequestScratch.attributes();
      Entry entry = view.lookup(at, attributes);
      if (!entry.exists()) {
        throw new NoSuchFileException(at.toString());
      }
      NodeTable.Node node = nodes.linked(existingId, at, attributes.ino());
      if (node == null) {
        node = nodes.entered(at, attributes.ino(), attributes.nlink(), false);
      }
      EntryReplies.putEntry(reply.begin(), node.id, entry);
      if (!reply.send()) {
        nodes.forget(node.id, 1); // withdrawn: the kernel never counted this lookup
      }
    });
  }

  // ---- open files ------------------------------------------------------------------------------

  /** fuse_open_in: flags, open_flags. */
  private void open(Request r, Reply reply, MountPath at) throws IOException {
    Opened file = view.open(at, r.i32(0));
    nodes.opened(r.nodeId());
    if ((r.i32(4) & FuseKernel.OPEN_KILL_SUIDGID) != 0
        && (r.i32(0) & Posix.O_ACCMODE) != Posix.O_RDONLY) {
      dropSetIdsOrRelease(file, r.nodeId()); // an O_TRUNC open by a caller without CAP_FSETID
    }
    int backing = passthrough.register(file, r.nodeId());
    ByteBuffer out = reply.begin();
    if (backing > 0) {
      out.putLong(file.handle());
      out.putInt(FuseKernel.FOPEN_PASSTHROUGH);
      out.putInt(backing);
    } else {
      EntryReplies.putOpen(out, file);
    }
    if (!reply.send()) {
      releaseQuietly(file.handle()); // withdrawn: no RELEASE will come for it
      releasedOpen(r.nodeId());
      passthrough.closeUnused();
    }
  }

  /** fuse_create_in: flags, mode, umask, open_flags; the name follows. */
  private void create(Request r, Reply reply) throws IOException {
    int flags = r.i32(0);
    int mode = r.i32(4);
    inDirectory(r, r.name(16), at -> {
      Opened file = view.create(at, mode, flags, caller(r));
      FileAttributes attributes = RequestScratch.attributes();
      Entry entry;
      try {
        if ((r.i32(12) & FuseKernel.OPEN_KILL_SUIDGID) != 0) {
          view.dropSetIds(file.handle()); // it existed: O_TRUNC by a caller without CAP_FSETID
        }
        entry = view.lookup(at, attributes);
        if (!entry.exists()) {
          throw new NoSuchFileException(at.toString());
        }
      } catch (IOException | RuntimeException e) {
        releaseQuietly(file.handle());
        throw e;
      }
      NodeTable.Node node = nodes.entered(at, attributes.ino(), attributes.nlink(), false);
      ByteBuffer out = reply.begin();
      EntryReplies.putEntry(out, node.id, entry);
      if (opensWithoutRequests) {
        // Once OPEN was answered ENOSYS the kernel sends no RELEASE for any file, a created one
        // included (fs/fuse/file.c fuse_file_put skips FUSE_RELEASE while fc->no_open is set): a
        // handle of ours would never be let go. The new file is, as every file of this
        // connection, read and written by node (handle 0): through the descriptor that made it
        // when that one reads and writes (no second open at its first write), else opened again
        // then.
        if (file.readsAndWrites()) {
          nodeFiles.adopt(node.id, file.handle());
        } else {
          releaseQuietly(file.handle());
        }
        EntryReplies.putOpenByNode(out, file.keepCache());
        if (!reply.send()) {
          nodes.forget(node.id, 1); // withdrawn: the kernel never got the node
          if (!nodes.contains(node.id)) {
            nodeFiles.forgotten(node.id);
          }
        }
        return;
      }
      nodes.opened(node.id);
      EntryReplies.putOpen(out, file);
      if (!reply.send()) {
        // Withdrawn: the kernel never got the node or the open file.
        releaseQuietly(file.handle());
        releasedOpen(node.id);
        nodes.forget(node.id, 1);
      }
    });
  }

  /** {@link ViewOperations#dropSetIds} of a file just opened, which is released if that fails. */
  private void dropSetIdsOrRelease(Opened file, long nodeId) throws IOException {
    try {
      view.dropSetIds(file.handle());
    } catch (IOException | RuntimeException e) {
      releaseQuietly(file.handle());
      releasedOpen(nodeId);
      throw e;
    }
  }

  /** fuse_read_in: fh 0, offset 8, size 16. The data goes straight into the reply buffer. */
  private void read(Request r, Reply reply) throws IOException {
    int size = Math.min(r.i32(16), reply.capacity());
    long offset = r.i64(8);
    int n = byNode(r.i64(0))
        ? nodeFiles.read(r.nodeId(), reply.payloadMemory(), size, offset)
        : view.read(r.i64(0), reply.payloadMemory(), size, offset);
    reply.sendPayload(n);
  }

  /**
   * fuse_write_in: fh 0, offset 8, size 16, write_flags 20; the data follows the 40-byte
   * structure.
   */
  private void write(Request r, Reply reply) throws IOException {
    int size = r.i32(16);
    long offset = r.i64(8);
    jnr.ffi.Pointer data = r.data(FuseKernel.WRITE_IN_SIZE, size);
    boolean kill = (r.i32(20) & FuseKernel.WRITE_KILL_SUIDGID) != 0;
    int n;
    if (byNode(r.i64(0))) {
      if (kill) {
        attributes.dropSetIds(known(nodes.path(r.nodeId()), r.nodeId())); // before the data, as file_remove_privs
      }
      n = nodeFiles.write(r.nodeId(), data, size, offset);
    } else {
      if (kill) {
        view.dropSetIds(r.i64(0)); // before the data, as the kernel's own file_remove_privs
      }
      n = view.write(r.i64(0), data, size, offset);
    }
    ByteBuffer out = reply.begin();
    out.putInt(n);
    out.putInt(0);
    reply.send();
  }

  /**
   * fuse_release_in: fh, flags, release_flags, lock_owner. Always answered with success: the
   * kernel has let go of the file whatever closing it says.
   */
  private void release(Request r, Reply reply) {
    long fh = r.i64(0);
    if (fh != PassthroughFiles.NO_HANDLE) {
      releaseQuietly(fh);
    }
    releasedOpen(r.nodeId());
    passthrough.closeUnused();
    reply.ok();
  }

  /**
   * Whether a request on an open file names it by node: handle 0 when opens take no request
   * (files made by CREATE included: see {@link #create}).
   */
  private boolean byNode(long fh) {
    return opensWithoutRequests && fh == PassthroughFiles.NO_HANDLE;
  }

  /**
   * Opens the file of {@code nodeId} by its place (an unlinked file's kept one) under its ref's
   * structure lock: a handle for {@link NodeFiles}, not counted as an open of the node.
   */
  private long openByNode(long nodeId, int flags) throws IOException {
    Lock lock = structure.of(nodes.path(nodeId)).readLock();
    lock.lock();
    try {
      return view.open(known(nodes.path(nodeId), nodeId), flags).handle();
    } finally {
      lock.unlock();
    }
  }

  /** Releases {@code fh}, logging a failure (its descriptor is closed anyway). */
  private void releaseQuietly(long fh) {
    try {
      view.release(fh);
    } catch (IOException | RuntimeException e) {
      ViewFailures.errno("release", "fh " + fh, e);
    }
  }

  /**
   * Counts a released open of {@code nodeId}; the last open file of an unlinked one lets the
   * view's kept file go. No structure lock: the kept file has no place in a tree that a rename
   * could move, and the node table decides alone who lets it go.
   */
  void releasedOpen(long nodeId) {
    MountPath kept = nodes.released(nodeId);
    if (opensWithoutRequests && !nodes.contains(nodeId)) {
      nodeFiles.forgotten(nodeId);
      heldFilesOfRefs.forgotten(nodeId);
    }
    if (kept != null) {
      view.forgetUnlinked(kept);
    }
  }

  /** fuse_fsync_in: fh, fsync_flags. */
  private void fsync(Request r, Reply reply) throws IOException {
    boolean dataOnly = (r.i32(8) & FuseKernel.FSYNC_FDATASYNC) != 0;
    if (byNode(r.i64(0))) {
      nodeFiles.sync(r.nodeId(), dataOnly);
    } else if (r.i64(0) != PassthroughFiles.NO_HANDLE) { // else a read-only passthrough open: clean
      view.sync(r.i64(0), dataOnly);
    }
    reply.ok();
  }

  /** fuse_kstatfs: blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, spare. */
  private void statfs(Reply reply, MountPath at) throws IOException {
    StatVfs v = view.capacity(at == null ? MountPath.ROOT : at);
    ByteBuffer out = reply.begin();
    out.putLong(v.blocks());
    out.putLong(v.blocksFree());
    out.putLong(v.blocksAvailable());
    out.putLong(v.files());
    out.putLong(v.filesFree());
    out.putInt((int) v.blockSize());
    out.putInt(MountPath.NAME_MAX);
    out.putInt((int) v.fragmentSize());
    for (int i = 0; i < 7; i++) {
      out.putInt(0); // padding, spare[6]
    }
    reply.send();
  }

  // ---- failures --------------------------------------------------------------------------------

  /** What a failed request was about, for the log: the node's place, or its ID. */
  private Object subject(Request r) {
    MountPath at = nodes.path(r.nodeId());
    return at != null ? at : "node " + r.nodeId();
  }
}
