package org.refcache.fuse;

import java.nio.ByteBuffer;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.FuseSession;
import org.refcache.fuse.kernel.Reply;
import org.refcache.posix.Posix;

/**
 * Passthrough for the kernel transport (FUSE 7.40, Linux 6.9+): files of read-only refs are
 * registered with the kernel as the backing file of their node, and the kernel reads (and maps)
 * them itself, with the layer file's own page cache, as kernel overlayfs does. A node keeps its
 * backing file until the kernel forgets the node or its ref goes ({@link #dropRef}).
 */
final class PassthroughFiles {

  /** The handle of an open answered without one of ours (the view's handles start at 1). */
  static final long NO_HANDLE = 0;

  private final NodeTable nodes;
  /** Counts a released open of a node (and lets a kept unlinked file go): the bridge's. */
  private final java.util.function.LongConsumer released;
  private volatile FuseSession session;

  PassthroughFiles(NodeTable nodes, java.util.function.LongConsumer released) {
    this.nodes = nodes;
    this.released = released;
  }

  void attach(FuseSession mounted) {
    this.session = mounted;
  }

  /**
   * A plain read-only open of a file the kernel already reads itself (passthrough): answered
   * with its backing file and no handle of ours, so no descriptor, lookup or system call at all.
   * The kernel's own reference to the layer file keeps the data alive while it is open.
   */
  boolean answerFromBacking(long nodeId, int flags, Reply reply) {
    if ((flags & (Posix.O_ACCMODE | Posix.O_TRUNC | Posix.O_APPEND)) != Posix.O_RDONLY) {
      return false;
    }
    int backing = nodes.openFromBacking(nodeId);
    if (backing == 0) {
      return false;
    }
    ByteBuffer out = reply.begin();
    out.putLong(NO_HANDLE);
    out.putInt(FuseKernel.FOPEN_PASSTHROUGH);
    out.putInt(backing);
    if (!reply.send()) {
      released.accept(nodeId); // withdrawn: no RELEASE will come for it
      closeUnused();
    }
    return true;
  }

  /**
   * Registers the descriptor the view offers for {@code file} (counted as an open of
   * {@code nodeId}) with the kernel as the backing file of its node: the backing ID to answer
   * with, or 0 where that is not possible (the view offers none: not a read-only tree's file;
   * other opens of the node without passthrough).
   */
  int register(Opened file, long nodeId) {
    FuseSession s = session;
    if (s == null || !s.passthrough()) {
      return 0;
    }
    int existing = nodes.backingOf(nodeId);
    if (existing != 0) {
      return existing; // other files of the node are open through it: so is this one
    }
    int fd = file.passthroughFd();
    if (fd < 0) {
      return 0;
    }
    int registered = s.openBacking(fd);
    if (registered <= 0) {
      return 0;
    }
    int id = nodes.adoptBacking(nodeId, registered);
    if (id != registered) {
      s.closeBacking(registered); // another open was first, or the node's opens do without
    }
    return id;
  }

  /** Closes backing file IDs the node table let go of. */
  void closeUnused() {
    FuseSession s = session;
    for (int id : nodes.takeUnusedBackings()) {
      if (s != null) {
        s.closeBacking(id);
      }
    }
  }

  /**
   * Closes the backing files of ref {@code id}, which goes away: open files keep theirs (the
   * kernel holds them), closed ones stop pinning the layer's files.
   */
  void dropRef(String id) {
    FuseSession s = session;
    if (s == null) {
      return;
    }
    for (int backing : nodes.takeBackingsOf(id)) {
      s.closeBacking(backing);
    }
  }
}
