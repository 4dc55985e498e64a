package org.refcache.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Directory reading for the kernel transport: READDIR and READDIRPLUS. Directories are opened and
 * closed without a request: OPENDIR is answered ENOSYS once, and the kernel then opens every
 * directory itself ({@code no_opendir}), sends no RELEASEDIR, reads with handle 0 and keeps every
 * listing in its cache ({@code FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR}, fs/fuse/file.c's default for
 * opens without a request). What keeps those listings right is in ARCHITECTURE.md ("Caching
 * rules"): the kernel lists a directory again when it changed through the mount (its i_version
 * moves with every create, unlink, rename and link there) or when its mtime moved, and
 * {@code /refs}, which changes without a request, is dropped by notification.
 *
 * <p>A directory is listed once per reader (offset 0, also after {@code rewinddir}) and served
 * from that snapshot by offset: entries added or removed meanwhile do not shift the others. With
 * no handle to key it, the offset names its snapshot: the snapshot's number in the high 32 bits,
 * the index of the next entry in the low ones. A snapshot goes when a reader reached its end, or
 * when {@link #KEPT} later ones were made (a reader that stopped early); a reader coming back to a
 * snapshot that went is served from a new listing at the same index.
 */
final class DirectoryRequests {
  // Callers hold the read side of the ref's structure lock and pass the place they computed.

  private static final int NAME_MAX = 255;
  /** Snapshots kept for readers that have not reached their end. */
  static final int KEPT = 256;

  private final ViewOperations view;
  private final NodeTable nodes;
  private final Map<Long, List<Listed>> snapshots = new LinkedHashMap<>(KEPT, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, List<Listed>> eldest) {
      return size() > KEPT;
    }
  };
  private final AtomicLong nextSnapshot = new AtomicLong(1);
  private final DirectoryReadAhead readAhead;

  DirectoryRequests(ViewOperations view, NodeTable nodes) {
    this.view = view;
    this.nodes = nodes;
    this.readAhead = new DirectoryReadAhead(view);
  }

  /**
   * One entry of a directory listing, its name as the kernel wants it; {@code shown}: its
   * attributes when the view gave them with the listing (else null: a lookup answers them).
   */
  private record Listed(String name, byte[] bytes, long ino, int type, Stat shown) {
  }

  /**
   * fuse_read_in: fh 0, offset 8, size 16. The handle is 0 (no OPENDIR); the offset is 0 or one
   * this class made (see the class doc).
   *
   * @param at the directory's place, null if it has none any more (a started listing still
   *           answers)
   */
  void read(Request r, Reply reply, boolean plus, MountPath at) throws IOException {
    long offset = r.i64(8);
    int size = Math.min(r.i32(16), reply.capacity());
    long snapshot = offset >>> 32;
    long index = offset & 0xffffffffL;
    List<Listed> entries;
    synchronized (snapshots) {
      entries = offset == 0 ? null : snapshots.get(snapshot);
    }
    boolean listedNow = entries == null;
    if (listedNow) {
      entries = list(at);
      snapshot = nextSnapshot.getAndIncrement() & 0x7fffffffL;
      synchronized (snapshots) {
        snapshots.put(snapshot, entries);
      }
    }
    if (index >= entries.size()) {
      synchronized (snapshots) {
        snapshots.remove(snapshot); // this reader reached the end
      }
    }
    long base = snapshot << 32;
    if (plus) {
      // The attributes a snapshot of an earlier request carries are taken only while its ref
      // still exists: one released since must not be handed out for an hour (a lookup answers
      // node 0 for it instead).
      fillPlus(at, reply, entries, base, index, size,
          listedNow || index >= entries.size() || unchanging(at));
      return;
    }
    // The kernel asks for plus only at offset 0 (or when advised): the rest of a directory too
    // large for one reply comes here, names only, and a walk then looks each name up. Its
    // subdirectories are read ahead all the same (trees that never change only: the view's
    // readAhead checks), or a walk of a directory of 1 000 subdirectories reads 800 of them
    // itself.
    boolean descending = at != null && at.kind() == MountPath.Kind.REF && !entries.isEmpty()
        && (index == 0 ? readAhead.reading(at) : readAhead.isWalked(at)) && unchanging(at);
    ByteBuffer out = reply.begin();
    int end = out.position() + size;
    for (long i = index; i < entries.size(); i++) {
      Listed e = entries.get((int) i);
      int record = (FuseKernel.DIRENT_HEADER_SIZE + e.bytes().length + 7) & ~7;
      if (out.position() + record > end) {
        break;
      }
      putDirent(out, e, base | (i + 1), record);
      if (descending && e.type() == DT_DIR && !e.name().equals(".") && !e.name().equals("..")) {
        readAhead.add(at.child(e.name()));
      }
    }
    reply.send();
  }

  /** Whether directory {@code at} is in a tree that never changes (false if that fails). */
  private boolean unchanging(MountPath at) {
    try {
      return view.openDirectory(at);
    } catch (IOException | RuntimeException e) {
      return false; // not read ahead; the walk's own requests meet the failure
    }
  }

  /** {@code d_type} of a directory, as {@link Listed#type} holds it. */
  private static final int DT_DIR = Posix.S_IFDIR >> 12;

  private List<Listed> list(MountPath at) throws IOException {
    if (at == null) {
      throw new java.nio.file.NoSuchFileException("(a directory without a name)");
    }
    List<Listed> listed = new ArrayList<>();
    view.list(at, new DirectorySink() {
      @Override
      public boolean add(String name, long ino, int type) {
        return add(name, ino, type, null);
      }

      @Override
      public boolean add(String name, long ino, int type, Stat shown) {
        byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length <= NAME_MAX) { // a longer one cannot be named by a caller anyway
          listed.add(new Listed(name, bytes, ino == DirectorySink.UNKNOWN ? FuseKernel.UNKNOWN_INO
              : ino, (type & Posix.S_IFMT) >> 12, shown));
        }
        return true;
      }
    });
    return listed;
  }

  /**
   * READDIRPLUS: each entry with its lookup (node and attributes), so a walk that stats what it
   * lists ({@code find}, {@code ls -l}, {@code tar}) needs no LOOKUP per entry. Each entry sent
   * with a node counts as one lookup of it, as the kernel counts it. The mount's own directories
   * answer names only: their entries are refs, which a lookup would open.
   */
  private void fillPlus(MountPath dir, Reply reply, List<Listed> entries, long base, long index,
                        int size, boolean listedValid) throws IOException {
    if (dir == null) {
      throw new java.nio.file.NoSuchFileException("(a directory without a name)");
    }
    boolean inRef = dir.kind() == MountPath.Kind.REF; // a ref's root or below
    // A walk going down: its next listings are read ahead (trees that never change only).
    boolean descending = index == 0 ? readAhead.reading(dir) : readAhead.isWalked(dir);
    ByteBuffer out = reply.begin();
    int end = out.position() + size;
    // Node IDs handed out, to take back if the reply is not taken: at most what fits in it.
    int most = size / (FuseKernel.ENTRY_OUT_SIZE + FuseKernel.DIRENT_HEADER_SIZE + 8) + 1;
    long[] handedOut = new long[(int) Math.max(0, Math.min(entries.size() - index, most))];
    int handed = 0;
    for (long i = index; i < entries.size(); i++) {
      Listed e = entries.get((int) i);
      int record = (FuseKernel.ENTRY_OUT_SIZE + FuseKernel.DIRENT_HEADER_SIZE + e.bytes().length
          + 7) & ~7;
      if (out.position() + record > end) {
        break;
      }
      int start = out.position();
      boolean dots = e.name().equals(".") || e.name().equals("..");
      MountPath child = inRef && !dots ? dir.child(e.name()) : null;
      Entry entry = child == null ? null
          : listedValid && e.shown() != null ? listedEntry(e.shown()) : lookup(child);
      if (entry != null && entry.exists()) {
        FileAttributes a = entry.attributes();
        NodeTable.Node node = nodes.entered(child, a.ino(), a.nlink(), a.isDirectory());
        EntryReplies.putEntry(out, node.id, entry);
        handedOut[handed++] = node.id;
        if (descending && a.isDirectory()
            && FuseOptions.UNCHANGING_TIMEOUT.equals(entry.attrValid())) {
          readAhead.add(child);
        }
      } else {
        // Node 0: a name without a lookup (the kernel looks it up if it needs it).
        out.put(new byte[FuseKernel.ENTRY_OUT_SIZE]);
      }
      putDirent(out, e, base | (i + 1), record - (out.position() - start));
    }
    if (!reply.send()) {
      for (int i = 0; i < handed; i++) {
        nodes.forget(handedOut[i], 1); // withdrawn: the kernel never counted these lookups
      }
    }
  }

  /**
   * The lookup of an entry whose attributes came with the listing: those of a tree that never
   * changes (the view gives them for no other), valid as long as a lookup's there.
   */
  private static Entry listedEntry(Stat shown) {
    FileAttributes attributes = RequestScratch.attributes();
    attributes.set(shown);
    return new Entry(attributes, FuseOptions.UNCHANGING_TIMEOUT, FuseOptions.UNCHANGING_TIMEOUT);
  }

  /** An entry's lookup, or null where it fails (the kernel then looks it up itself). */
  private Entry lookup(MountPath child) {
    try {
      return view.lookup(child, RequestScratch.attributes());
    } catch (IOException | RuntimeException e) {
      ViewFailures.errno("lookup", child, e); // logged if it is a bug
      return null;
    }
  }

  /** fuse_dirent: ino, off (of the next entry), namelen, type, name, padded to {@code record}. */
  private static void putDirent(ByteBuffer out, Listed e, long next, int record) {
    int start = out.position();
    out.putLong(e.ino());
    out.putLong(next);
    out.putInt(e.bytes().length);
    out.putInt(e.type());
    out.put(e.bytes());
    while (out.position() < start + record) {
      out.put((byte) 0);
    }
  }

  /** RELEASEDIR: not sent once OPENDIR was refused (kept for a kernel that sends it anyway). */
  void release(Reply reply) {
    reply.ok();
  }
}
