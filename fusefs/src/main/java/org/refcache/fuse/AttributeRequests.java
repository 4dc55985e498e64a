package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.function.LongPredicate;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Posix;

/**
 * GETATTR and SETATTR for the kernel transport: a node's attributes by its place or by an open
 * handle, and a SETATTR's changes applied in libfuse's order (mode, owner, size, times). Callers
 * hold the read side of the ref's structure lock, as for every request on a place.
 */
final class AttributeRequests {
  private final ViewOperations view;
  private final NodeFiles nodeFiles;
  /** Whether a handle names its file by node (opens without requests: handle 0). */
  private final LongPredicate byNode;

  AttributeRequests(ViewOperations view, NodeFiles nodeFiles, LongPredicate byNode) {
    this.view = view;
    this.nodeFiles = nodeFiles;
    this.byNode = byNode;
  }

  private Entry attributesOf(MountPath at, long fh, long nodeId) throws IOException {
    FileAttributes attributes = RequestScratch.attributes();
    if (at != null) {
      return view.lookup(at, attributes);
    }
    if (fh == PassthroughFiles.NO_HANDLE) {
      throw new NoSuchFileException("node " + nodeId); // no name left and no handle of ours
    }
    return view.attributes(fh, attributes);
  }

  /** fuse_getattr_in: getattr_flags 0, dummy, fh 8. */
  void getattr(Request r, Reply reply, MountPath at) throws IOException {
    boolean byHandle = (r.i32(0) & FuseKernel.GETATTR_FH) != 0;
    long fh = byHandle ? r.i64(8) : PassthroughFiles.NO_HANDLE;
    EntryReplies.attr(attributesOf(at, fh, r.nodeId()), reply);
  }

  /**
   * fuse_setattr_in: valid 0, fh 8, size 16, atime 32, mtime 40, atimensec 56, mtimensec 60,
   * mode 68, uid 76, gid 80. Applied in libfuse's order: mode, owner, size, times. A request with
   * none of them is {@code chown(-1, -1)} or the like, which changes only the ctime.
   */
  void setattr(Request r, Reply reply, MountPath at) throws IOException {
    int valid = r.i32(0);
    boolean byHandle = (valid & FuseKernel.FATTR_FH) != 0;
    long fh = byHandle ? r.i64(8) : PassthroughFiles.NO_HANDLE;
    long node = r.nodeId();
    if (at == null && !byHandle) {
      throw new NoSuchFileException("node " + node);
    }
    int changes = FuseKernel.FATTR_MODE | FuseKernel.FATTR_UID | FuseKernel.FATTR_GID
        | FuseKernel.FATTR_SIZE | FuseKernel.FATTR_ATIME | FuseKernel.FATTR_MTIME;
    if ((valid & FuseKernel.FATTR_MODE) != 0) {
      view.chmod(KernelBridge.known(at, node), r.i32(68));
    }
    if ((valid & (FuseKernel.FATTR_UID | FuseKernel.FATTR_GID)) != 0) {
      int uid = (valid & FuseKernel.FATTR_UID) != 0 ? r.i32(76) : -1;
      int gid = (valid & FuseKernel.FATTR_GID) != 0 ? r.i32(80) : -1;
      view.chown(KernelBridge.known(at, node), uid, gid);
    }
    if ((valid & FuseKernel.FATTR_SIZE) != 0) {
      boolean kill = (valid & FuseKernel.FATTR_KILL_SUIDGID) != 0;
      if (byHandle && byNode.test(fh)) {
        nodeFiles.truncate(node, r.i64(16));
        if (kill) {
          dropSetIds(KernelBridge.known(at, node));
        }
      } else if (byHandle) {
        view.truncate(fh, r.i64(16));
        if (kill) {
          view.dropSetIds(fh);
        }
      } else {
        view.truncate(at, r.i64(16));
        if (kill) {
          dropSetIds(at);
        }
      }
    }
    if ((valid & (FuseKernel.FATTR_ATIME | FuseKernel.FATTR_MTIME)) != 0) {
      view.utimens(KernelBridge.known(at, node),
          time(valid, FuseKernel.FATTR_ATIME, FuseKernel.FATTR_ATIME_NOW, r.i64(32), r.i32(56)),
          time(valid, FuseKernel.FATTR_MTIME, FuseKernel.FATTR_MTIME_NOW, r.i64(40), r.i32(60)));
    }
    if ((valid & changes) == 0) {
      view.chown(KernelBridge.known(at, node), -1, -1);
    }
    EntryReplies.attr(attributesOf(at, fh, node), reply);
  }

  /** {@link ViewOperations#dropSetIds} of a file by its place ({@code truncate(2)}). */
  void dropSetIds(MountPath at) throws IOException {
    FileAttributes attributes = RequestScratch.attributes();
    if (view.lookup(at, attributes).exists()
        && (attributes.mode() & Posix.S_IFMT) == Posix.S_IFREG) {
      int mode = attributes.mode();
      int kept = FileHandles.withoutSetIds(mode);
      if (kept != mode) {
        view.chmod(at, kept & 07777);
      }
    }
  }

  /** A time of a SETATTR: null when it is not to change, now when the caller said so. */
  private static Instant time(int valid, int bit, int nowBit, long seconds, int nanos) {
    if ((valid & bit) == 0) {
      return null;
    }
    if ((valid & nowBit) != 0) {
      return Instant.now();
    }
    return Instant.ofEpochSecond(seconds, nanos & 0xffffffffL);
  }
}
