package org.refcache.fuse;

import java.nio.ByteBuffer;
import java.time.Duration;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.Reply;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The kernel transport's replies that describe files: entries (a node with its attributes and
 * how long the kernel may keep them), attributes, negative entries, opens. What lies in a tree
 * that can never change is valid for {@link FuseOptions#UNCHANGING_TIMEOUT}; the rest for the
 * mount's timeouts.
 */
final class EntryReplies {

  /** No validity: a negative entry has no attributes to keep. */
  private static final Timeout NOT_KEPT = new Timeout(0, 0);

  private final RefFileSystem fs;
  private final Timeout entry;
  private final Timeout attr;
  private final Timeout unchanging;

  EntryReplies(RefFileSystem fs, Duration entryTimeout, Duration attrTimeout) {
    this.fs = fs;
    this.entry = new Timeout(entryTimeout);
    this.attr = new Timeout(attrTimeout);
    this.unchanging = new Timeout(FuseOptions.UNCHANGING_TIMEOUT);
  }

  /** A validity period as the protocol carries it: seconds and nanoseconds. */
  record Timeout(long seconds, int nanos) {
    Timeout(Duration d) {
      this(d.getSeconds(), d.getNano());
    }
  }

  /**
   * A missing name inside a ref, answered as an entry with node 0: the kernel keeps it as a
   * negative entry (a compiler probing include paths asks once). Safe because a name inside a ref
   * appears only through the mount, which replaces the negative entry itself; a ref's own name in
   * {@code /refs} is not cached, so a new ref shows at once.
   */
  void negative(String path, Reply reply) {
    ByteBuffer out = reply.begin();
    putEntryHead(out, 0, fs.unchanging(path) ? unchanging : entry, NOT_KEPT);
    out.put(new byte[FuseKernel.ATTR_SIZE]);
    reply.send();
  }

  /** Answers a getattr or setattr: the attributes of {@code path}, or the error {@code rc}. */
  void attr(int rc, FileStat stat, Reply reply, String path) {
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    Timeout valid = path != null && fs.unchanging(path) ? unchanging : attr;
    ByteBuffer out = reply.begin();
    out.putLong(valid.seconds());
    out.putInt(valid.nanos());
    out.putInt(0);
    putAttr(out, stat);
    reply.send();
  }

  /** Answers an operation without a payload: success, or the error {@code -rc}. */
  static void answer(int rc, Reply reply) {
    if (rc < 0) {
      reply.error(-rc);
    } else {
      reply.ok();
    }
  }

  /**
   * fuse_entry_out: nodeid, generation, entry_valid, attr_valid, their nanoseconds, attr. What
   * lies in a tree that cannot change is valid for long ({@link FuseOptions#UNCHANGING_TIMEOUT});
   * the rest for the mount's timeouts.
   */
  void putEntry(ByteBuffer out, long nodeId, FileStat stat, String path) {
    boolean fixed = fs.unchanging(path);
    putEntryHead(out, nodeId, fixed ? unchanging : entry, fixed ? unchanging : attr);
    putAttr(out, stat);
  }

  /** fuse_entry_out up to its attributes: nodeid, generation 0, both validities. */
  private static void putEntryHead(ByteBuffer out, long nodeId, Timeout names,
                                   Timeout attributes) {
    out.putLong(nodeId);
    out.putLong(0);
    out.putLong(names.seconds());
    out.putLong(attributes.seconds());
    out.putInt(names.nanos());
    out.putInt(attributes.nanos());
  }

  /** fuse_open_out: fh, open_flags, padding. */
  static void putOpen(ByteBuffer out, FuseFileInfo fi) {
    out.putLong(fi.fh.get());
    out.putInt(FuseAbi.keepCache(fi) ? FuseKernel.FOPEN_KEEP_CACHE : 0);
    out.putInt(0);
  }

  /**
   * fuse_attr: ino, size, blocks, atime, mtime, ctime, their nanoseconds, mode, nlink, uid, gid,
   * rdev, blksize, flags. {@code rdev} is glibc's {@code dev_t}, whose low 32 bits are the
   * kernel's encoding for every major below 4096.
   */
  static void putAttr(ByteBuffer out, FileStat s) {
    out.putLong(s.st_ino.longValue());
    out.putLong(s.st_size.longValue());
    out.putLong(s.st_blocks.longValue());
    out.putLong(s.st_atim.tv_sec.get());
    out.putLong(s.st_mtim.tv_sec.get());
    out.putLong(s.st_ctim.tv_sec.get());
    out.putInt(s.st_atim.tv_nsec.intValue());
    out.putInt(s.st_mtim.tv_nsec.intValue());
    out.putInt(s.st_ctim.tv_nsec.intValue());
    out.putInt(s.st_mode.intValue());
    out.putInt(s.st_nlink.intValue());
    out.putInt((int) s.st_uid.get());
    out.putInt((int) s.st_gid.get());
    out.putInt((int) s.st_rdev.get());
    out.putInt((int) s.st_blksize.get());
    out.putInt(0);
  }}
