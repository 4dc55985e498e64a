package org.refcache.fuse;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * Directory reading for the kernel transport: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR. A
 * directory is listed once per reader (offset 0, also after {@code rewinddir}) and served from
 * that listing by offset, as libfuse's high-level layer did.
 */
final class DirectoryRequests {
  // Callers hold the read side of the ref's structure lock and pass the path they computed.

  private static final int NAME_MAX = 255;

  private final RefFileSystem fs;
  private final NodeTable nodes;
  private final EntryReplies replies;
  private final ConcurrentMap<Long, List<Entry>> listings = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  DirectoryRequests(RefFileSystem fs, NodeTable nodes, EntryReplies replies) {
    this.fs = fs;
    this.nodes = nodes;
    this.replies = replies;
  }

  /** One entry of a directory listing. */
  private record Entry(byte[] name, long ino, int type) {
  }

  /**
   * OPENDIR of the directory at {@code path}: the view checks it; the handle is only a key for its
   * listing.
   */
  void open(Request r, Reply reply, String path) {
    FuseFileInfo fi = RequestScratch.get().fileInfo(r.i32(0), 0);
    int rc = fs.opendir(path, fi);
    if (rc != 0) {
      reply.error(-rc);
      return;
    }
    long handle = nextHandle.getAndIncrement();
    ByteBuffer out = reply.begin();
    out.putLong(handle);
    // A listing that cannot change may stay in the kernel's cache: no READDIR next time.
    out.putInt(fs.unchanging(path) ? FuseKernel.FOPEN_KEEP_CACHE | FuseKernel.FOPEN_CACHE_DIR : 0);
    out.putInt(0);
    reply.send();
  }

  /**
   * fuse_read_in: fh 0, offset 8, size 16. The whole directory is listed when a reader starts
   * (offset 0, also after {@code rewinddir}) and served from that listing by offset, as
   * libfuse's high-level layer did: entries added or removed meanwhile do not shift the others.
   *
   * @param path the directory's path, null if it has none any more (its listing still answers)
   */
  void read(Request r, Reply reply, boolean plus, String path) {
    long handle = r.i64(0);
    long offset = r.i64(8);
    int size = Math.min(r.i32(16), reply.capacity());
    List<Entry> entries = listings.get(handle);
    if (offset == 0 || entries == null) {
      if (path == null) {
        reply.error(Errno.ENOENT);
        return;
      }
      List<Entry> listed = new ArrayList<>();
      int rc = fs.readdir(path, null, collector(listed), 0, RequestScratch.get().fileInfo(0, handle));
      if (rc != 0) {
        reply.error(-rc);
        return;
      }
      entries = listed;
      listings.put(handle, entries);
    }
    if (plus) {
      fillPlus(path, reply, entries, offset, size);
      return;
    }
    ByteBuffer out = reply.begin();
    int end = out.position() + size;
    for (long i = offset; i < entries.size(); i++) {
      Entry e = entries.get((int) i);
      int record = (FuseKernel.DIRENT_HEADER_SIZE + e.name().length + 7) & ~7;
      if (out.position() + record > end) {
        break;
      }
      putDirent(out, e, i + 1, record);
    }
    reply.send();
  }

  /**
   * READDIRPLUS: each entry with its lookup (node and attributes), so a walk that stats what it
   * lists ({@code find}, {@code ls -l}, {@code tar}) needs no LOOKUP per entry. Each entry sent
   * with a node counts as one lookup of it, as the kernel counts it. The mount's own directories
   * answer names only: their entries are refs, which a lookup would open.
   */
  private void fillPlus(String dir, Reply reply, List<Entry> entries, long offset, int size) {
    if (dir == null) {
      reply.error(Errno.ENOENT);
      return;
    }
    boolean inRef = MountPath.refIdOf(dir) != null; // a ref's root or below
    ByteBuffer out = reply.begin();
    int end = out.position() + size;
    FileStat stat = RequestScratch.get().stat;
    List<Long> handedOut = new ArrayList<>();
    for (long i = offset; i < entries.size(); i++) {
      Entry e = entries.get((int) i);
      int record = (FuseKernel.ENTRY_OUT_SIZE + FuseKernel.DIRENT_HEADER_SIZE + e.name().length
          + 7) & ~7;
      if (out.position() + record > end) {
        break;
      }
      int start = out.position();
      String name = new String(e.name(), StandardCharsets.ISO_8859_1);
      boolean dots = name.equals(".") || name.equals("..");
      String child = dir + "/" + name;
      RequestScratch.get().clearedStat();
      if (inRef && !dots && fs.getattr(child, stat) == 0) {
        int mode = stat.st_mode.intValue();
        NodeTable.Node node = nodes.entered(child, stat.st_ino.longValue(),
            stat.st_nlink.longValue(), (mode & Posix.S_IFMT) == Posix.S_IFDIR);
        replies.putEntry(out, node.id, stat, child);
        handedOut.add(node.id);
      } else {
        // Node 0: a name without a lookup (the kernel looks it up if it needs it).
        out.put(new byte[FuseKernel.ENTRY_OUT_SIZE]);
      }
      putDirent(out, e, i + 1, record - (out.position() - start));
    }
    if (!reply.send()) {
      for (long id : handedOut) {
        nodes.forget(id, 1); // withdrawn: the kernel never counted these lookups
      }
    }
  }

  /** fuse_dirent: ino, off (of the next entry), namelen, type, name, padded to {@code record}. */
  private static void putDirent(ByteBuffer out, Entry e, long next, int record) {
    int start = out.position();
    out.putLong(e.ino());
    out.putLong(next);
    out.putInt(e.name().length);
    out.putInt(e.type());
    out.put(e.name());
    while (out.position() < start + record) {
      out.put((byte) 0);
    }
  }

  private static FuseFillDir collector(List<Entry> into) {
    return new FuseFillDir() {
      @Override
      public int apply(Pointer buf, ByteBuffer name, Pointer stbuf, long off) {
        throw new UnsupportedOperationException("names are passed as strings");
      }

      @Override
      public int apply(Pointer buf, String name, FileStat stat, long off) {
        byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length > NAME_MAX) {
          return 0; // cannot be named by a caller anyway
        }
        long ino = stat == null ? FuseKernel.UNKNOWN_INO : stat.st_ino.longValue();
        int type = stat == null ? 0 : (stat.st_mode.intValue() & Posix.S_IFMT) >> 12;
        into.add(new Entry(bytes, ino, type));
        return 0;
      }
    };
  }

  /** RELEASEDIR: the listing goes. */
  void release(Request r, Reply reply) {
    listings.remove(r.i64(0));
    reply.ok();
  }
}
