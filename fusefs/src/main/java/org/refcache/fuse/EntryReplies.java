package org.refcache.fuse;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.Reply;

/**
 * The kernel transport's replies that describe files: entries (a node with its attributes and
 * how long the kernel may keep them), attributes, negative entries, opens. How long is the
 * view's to say ({@link Entry}); this only writes the protocol's structures.
 */
final class EntryReplies {

  /** No validity: a negative entry has no attributes to keep. */
  private static final Duration NOT_KEPT = Duration.ZERO;

  private EntryReplies() {
  }

  /**
   * A missing name: with node 0 and the entry's validity the kernel keeps it as a negative entry
   * (a compiler probing include paths asks once); a name the view says must not be remembered is
   * ENOENT.
   */
  static void missing(Entry entry, Reply reply) {
    if (entry.entryValid() == null) {
      reply.error(org.refcache.posix.Errno.ENOENT);
      return;
    }
    ByteBuffer out = reply.begin();
    putEntryHead(out, 0, entry.entryValid(), NOT_KEPT);
    out.put(new byte[FuseKernel.ATTR_SIZE]);
    reply.send();
  }

  /** Answers a getattr or setattr with the entry's attributes (ENOENT if it is missing). */
  static void attr(Entry entry, Reply reply) {
    if (!entry.exists()) {
      reply.error(org.refcache.posix.Errno.ENOENT);
      return;
    }
    Duration valid = entry.attrValid();
    ByteBuffer out = reply.begin();
    out.putLong(valid.getSeconds());
    out.putInt(valid.getNano());
    out.putInt(0);
    putAttr(out, entry.attributes());
    reply.send();
  }

  /** fuse_entry_out: nodeid, generation, entry_valid, attr_valid, their nanoseconds, attr. */
  static void putEntry(ByteBuffer out, long nodeId, Entry entry) {
    putEntryHead(out, nodeId, entry.entryValid(), entry.attrValid());
    putAttr(out, entry.attributes());
  }

  /** fuse_entry_out up to its attributes: nodeid, generation 0, both validities. */
  private static void putEntryHead(ByteBuffer out, long nodeId, Duration names,
                                   Duration attributes) {
    out.putLong(nodeId);
    out.putLong(0);
    out.putLong(names.getSeconds());
    out.putLong(attributes.getSeconds());
    out.putInt(names.getNano());
    out.putInt(attributes.getNano());
  }

  /** fuse_open_out: fh, open_flags, padding. */
  static void putOpen(ByteBuffer out, Opened file) {
    out.putLong(file.handle());
    out.putInt(file.keepCache() ? FuseKernel.FOPEN_KEEP_CACHE : 0);
    out.putInt(0);
  }

  /** fuse_open_out of a file the kernel is to read and write by node: handle 0. */
  static void putOpenByNode(ByteBuffer out, boolean keepCache) {
    out.putLong(PassthroughFiles.NO_HANDLE);
    out.putInt(keepCache ? FuseKernel.FOPEN_KEEP_CACHE : 0);
    out.putInt(0);
  }

  /**
   * fuse_attr: ino, size, blocks, atime, mtime, ctime, their nanoseconds, mode, nlink, uid, gid,
   * rdev, blksize, flags. {@code rdev} is glibc's {@code dev_t}, whose low 32 bits are the
   * kernel's encoding for every major below 4096.
   */
  static void putAttr(ByteBuffer out, FileAttributes a) {
    out.putLong(a.ino());
    out.putLong(a.size());
    out.putLong(a.blocks());
    out.putLong(a.atimeSeconds());
    out.putLong(a.mtimeSeconds());
    out.putLong(a.ctimeSeconds());
    out.putInt(a.atimeNanos());
    out.putInt(a.mtimeNanos());
    out.putInt(a.ctimeNanos());
    out.putInt(a.mode());
    out.putInt((int) a.nlink());
    out.putInt(a.uid());
    out.putInt(a.gid());
    out.putInt((int) a.rdev());
    out.putInt((int) a.blksize());
    out.putInt(0);
  }
}
