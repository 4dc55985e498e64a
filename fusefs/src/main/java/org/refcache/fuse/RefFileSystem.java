package org.refcache.fuse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.refcache.core.overlay.DirEntry;
import org.refcache.core.overlay.DirectoryLinks;
import org.refcache.core.overlay.IsDirectoryException;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The FUSE boundary: every operation the view supports, each one thin. It parses the path
 * ({@link MountPath}), takes a use of the ref ({@link RefTrees}), delegates to the ref's overlay
 * tree or to {@link FileHandles}, and translates what comes back into 0, a count or
 * {@code -errno}. Nothing else here speaks errno.
 *
 * <p>Only overridden operations are registered with libfuse (jnr-fuse skips the ones still marked
 * {@code @NotImplemented} in {@code FuseStubFS}), so everything not here answers {@code ENOSYS}:
 * {@code flush} on purpose (writes go straight to the backing file, nothing is buffered to flush;
 * after the first ENOSYS the kernel stops sending it, saving a round trip per {@code close(2)}),
 * {@code releasedir} (directory handles hold nothing), {@code lock}/{@code flock} (the kernel then
 * keeps POSIX and BSD locks itself), {@code ioctl}, {@code poll},
 * {@code bmap}, {@code read_buf}/{@code write_buf}.
 *
 * <p>Mutations need a writable tree; {@link #writable} is the one place that answers EROFS, for
 * read-only refs, frozen (committed) ones and the mount's own directories alike.
 *
 * <p>Failures: {@code java.nio.file} exceptions and {@code NativeException}s become their errno
 * quietly; anything that maps to {@code EIO} (a bug, a failed lazy fetch) is logged with its class
 * at WARN and its stack at DEBUG. No exception ever reaches the FUSE loop.
 */
final class RefFileSystem extends FuseStubFS {

  private static final Logger LOG = LoggerFactory.getLogger(RefFileSystem.class);

  /** {@code tv_nsec} values of {@code utimensat(2)} that libfuse passes through to utimens. */
  private static final long UTIME_NOW = (1L << 30) - 1;
  private static final long UTIME_OMIT = (1L << 30) - 2;
  private static final int W_OK = 2;

  private final RefTreeSource source;
  private final RefTrees trees;
  private final FileHandles handles;
  private final HiddenFiles hidden;
  private final Path capacityFallback;
  private final Instant mountTime = Instant.now();
  private final AtomicBoolean rootAnswered = new AtomicBoolean();
  /** Refs whose directory answered as a stand-in (see getattr): it keeps those attributes. */
  private final java.util.Set<String> standInRoots =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param capacityFallback a directory whose filesystem {@code statfs} reports for the mount's own
   *                         directories (the mountpoint's parent: the state root by default)
   */
  RefFileSystem(RefTreeSource source, RefTrees trees, FileHandles handles, HiddenFiles hidden,
                Path capacityFallback) {
    this.source = source;
    this.trees = trees;
    this.handles = handles;
    this.hidden = hidden;
    this.capacityFallback = capacityFallback;
    FuseAbi.checkFileInfoLayout(
        FuseFileInfo.of(Memory.allocateDirect(Runtime.getSystemRuntime(), FuseAbi.FILE_INFO_SIZE)));
    // Handle operations on files libfuse cannot name get a null path rather than failing;
    // one-sided utimens (touch -m) reaches us instead of being dropped by libfuse.
    FuseAbi.setOperationFlags(fuseOperations, FuseAbi.FLAG_NULLPATH_OK | FuseAbi.FLAG_UTIME_OMIT_OK);
  }

  /** Whether the root has answered a getattr: the mount is up and served (the readiness probe). */
  boolean rootAnswered() {
    return rootAnswered.get();
  }

  /**
   * Whether what the kernel caches about {@code path} (its name, attributes, listing) stays true
   * for as long as its ref exists: a path inside a ref whose tree can never change. The ref's own
   * name in {@code /refs} does not count: a ref can go away.
   */
  boolean unchanging(String path) {
    MountPath at = MountPath.parse(path);
    return at.kind() == MountPath.Kind.REF && !at.relative().isEmpty()
        && trees.isImmutable(at.refId());
  }

  /** The descriptor the kernel may read open file {@code fh} from itself, or -1. */
  int passthroughDescriptor(long fh) {
    return handles.passthroughDescriptor(fh);
  }

  /** Tells jnr-fuse the mount is gone, so its JVM shutdown hook does not unmount again. */
  void markUnmounted() {
    mounted.set(false);
  }

  @Override
  protected String getFSName() {
    return "refcache";
  }

  // ---- attributes and names ----------------------------------------------------------------------

  @Override
  public int getattr(String path, FileStat stat) {
    try {
      MountPath at = MountPath.parse(path);
      switch (at.kind()) {
        case ROOT -> {
          Attributes.syntheticDirectory(stat, Attributes.ROOT_INO, 3, mountTime);
          rootAnswered.set(true);
          return 0;
        }
        case REFS -> {
          Attributes.syntheticDirectory(stat, Attributes.REFS_INO, 1, mountTime);
          return 0;
        }
        case NONE -> {
          return -Errno.ENOENT;
        }
        default -> {
          // a ref's tree, below
        }
      }
      // Lookups of missing names are frequent (include paths, PATH): answered without exceptions.
      if (MountPath.nameTooLong(path)) {
        return -Errno.ENAMETOOLONG;
      }
      if (HiddenFiles.isHiddenName(path)) {
        int fd = hidden.descriptor(path);
        if (fd >= 0) {
          Attributes.ofDescriptor(fd, stat);
          if (hidden.isLower(path)) {
            // Unlinked from the union, still linked in its layer.
            stat.st_nlink.set(Math.max(0, stat.st_nlink.longValue() - 1));
          }
          return 0;
        }
      }
      boolean refRoot = at.relative().isEmpty();
      if (refRoot && !standInRoots.contains(at.refId()) && !trees.isOpen(at.refId())
          && source.wouldUnpack(at.refId())) {
        // Opening the ref here would unpack its layers inside the lookup of its name: under
        // libfuse 2.9 (no parallel directory operations) the kernel serializes that with every
        // other lookup and listing of /refs, so one slow unpack would hold up every other ref,
        // and under either transport an `ls -l /refs` would unpack every ref. So its directory
        // answers as a plain one (0755 root, the usual layer root); the first access inside it
        // unpacks, holding up only lookups in that ref.
        standInRoots.add(at.refId());
        // Link count 1: its subdirectories are not known yet (2 would tell find there are none).
        Attributes.syntheticDirectory(stat, Attributes.refRootIno(at.refId()), 1, mountTime);
        return 0;
      }
      Optional<RefTree> ref = trees.acquire(at.refId());
      if (ref.isEmpty()) {
        standInRoots.remove(at.refId());
        return -Errno.ENOENT;
      }
      try (RefTree tree = ref.get()) {
        Optional<Node> node = tree.tree().resolve(at.relative());
        if (node.isEmpty()) {
          return -Errno.ENOENT;
        }
        int rc = Posix.lstatInto(node.get().real().toString(), Struct.getMemory(stat));
        if (rc == 0 && refRoot) {
          stat.st_ino.set(Attributes.refRootIno(at.refId()));
          if (standInRoots.contains(at.refId())) {
            // Answered as a stand-in before: keep its mode, owner and times for the life of the
            // mount, or a walk that began before the unpack (tar) sees its directory change.
            Attributes.keepStandIn(stat, mountTime);
          }
        }
        if (rc == 0 && node.get().isUpper()
            && tree.tree() instanceof WritableOverlayTree writable) {
          if (!refRoot) {
            // A copied-up file or directory keeps the inode number of its lower original.
            stat.st_ino.set(writable.reportedIno(at.relative(), stat.st_ino.longValue()));
          }
          // ... and the ctime it had, until it changes for real.
          Instant real = Instant.ofEpochSecond(stat.st_ctim.tv_sec.get(),
              stat.st_ctim.tv_nsec.longValue());
          Instant shown = writable.reportedCtime(at.relative(), real);
          if (!shown.equals(real)) {
            stat.st_ctim.tv_sec.set(shown.getEpochSecond());
            stat.st_ctim.tv_nsec.set(shown.getNano());
          }
        }
        if (rc == 0 && node.get().isDirectory()) {
          // A merged directory's real directory counts only its own layer's subdirectories.
          OptionalInt links = DirectoryLinks.merged(tree.tree(), at.relative());
          if (links.isPresent()) {
            stat.st_nlink.set(links.getAsInt());
          }
        }
        return rc;
      }
    } catch (IOException | RuntimeException e) {
      return fail("getattr", path, e);
    }
  }

  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    if (path != null) {
      return getattr(path, stat);
    }
    if (fi.fh.get() == 0) {
      return -Errno.ENOENT; // no handle of ours (a passthrough open) and no name left
    }
    try {
      return handles.attributes(fi.fh.get(), stat);
    } catch (IOException | RuntimeException e) {
      return fail("fgetattr", "(unlinked)", e);
    }
  }

  @Override
  public int readlink(String path, Pointer buf, long size) {
    try (Target t = target(path)) {
      if (t.ref() == null) {
        return -Errno.EINVAL;
      }
      Node node = t.node();
      if (!node.isSymlink()) {
        return -Errno.EINVAL;
      }
      // Byte for byte: a Path would normalize the target ("a//b/" into "a/b").
      byte[] target = Posix.readlink(node.real()).getBytes(Charset.defaultCharset());
      int length = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, length);
      buf.putByte(length, (byte) 0);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("readlink", path, e);
    }
  }

  @Override
  public int access(String path, int mask) {
    try (Target t = target(path)) {
      if (t.ref() != null) {
        t.node();
      }
      if ((mask & W_OK) != 0) {
        writable(t);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("access", path, e);
    }
  }

  @Override
  public int statfs(String path, Statvfs stbuf) {
    try (Target t = target(path)) {
      Path backing = capacityFallback;
      if (t.ref() != null) {
        OverlayTree tree = t.ref().tree();
        if (tree instanceof WritableOverlayTree writable) {
          backing = writable.upper();
        } else if (!tree.layers().isEmpty()) {
          backing = tree.layers().get(0);
        }
      }
      Attributes.capacity(Posix.statvfs(backing), stbuf);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("statfs", path, e);
    }
  }

  // ---- directories ---------------------------------------------------------------------------------

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    try (Target t = target(path)) {
      if (t.ref() != null && !t.node().isDirectory()) {
        return -Errno.ENOTDIR;
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("opendir", path, e);
    }
  }

  /**
   * Lists a whole directory in one call (offset 0 for every entry: libfuse buffers the listing per
   * open directory). Entries carry their real {@code st_ino} and type, so {@code d_ino} and
   * {@code d_type} are right without a lookup.
   */
  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
    try (Target t = target(path)) {
      filler.apply(buf, ".", null, 0);
      filler.apply(buf, "..", null, 0);
      switch (t.path().kind()) {
        case ROOT -> filler.apply(buf, MountPath.REFS_NAME, null, 0);
        case REFS -> {
          for (String id : source.refIds()) {
            if (filler.apply(buf, id, null, 0) != 0) {
              break;
            }
          }
        }
        default -> fillTree(t, buf, filler);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("readdir", path, e);
    }
  }

  private static void fillTree(Target t, Pointer buf, FuseFillDir filler) throws IOException {
    String dir = t.path().relative();
    OverlayTree tree = t.ref().tree();
    WritableOverlayTree writable = tree instanceof WritableOverlayTree w ? w : null;
    List<DirEntry> entries = tree.list(dir);
    Pointer memory = Memory.allocateDirect(Runtime.getSystemRuntime(), Posix.STAT_SIZE, true);
    FileStat stat = FileStat.of(memory);
    for (DirEntry entry : entries) {
      // libfuse 2.9's high-level readdir passes on only the inode number and the type, both known
      // from the listing: no lstat per entry (getattr fills the rest when the kernel asks).
      stat.st_mode.set(entry.type());
      long ino = entry.ino();
      if (writable != null && entry.real().startsWith(writable.upper())) {
        String path = dir.isEmpty() ? entry.name() : dir + "/" + entry.name();
        ino = writable.reportedIno(path, ino);
      }
      stat.st_ino.set(ino);
      if (filler.apply(buf, entry.name(), stat, 0) != 0) {
        break;
      }
    }
  }

  @Override
  public int fsyncdir(String path, FuseFileInfo fi) {
    try (Target t = target(path)) {
      if (t.ref() == null || !t.node().isUpper()) {
        return 0; // nothing of a read-only layer or of the mount's own directories is dirty
      }
      int fd = Posix.openRaw(t.node().real().toString(),
          Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC, 0);
      if (fd < 0) {
        return fd;
      }
      int rc = Posix.fsync(fd);
      Posix.close(fd);
      return rc;
    } catch (IOException | RuntimeException e) {
      return fail("fsyncdir", path, e);
    }
  }

  @Override
  public int mkdir(String path, long mode) {
    try (Target t = newTarget(path)) {
      WritableOverlayTree tree = writable(t);
      Caller caller = caller(t);
      int perms = (int) mode & 07777;
      if (caller.inheritsGroup()) {
        perms |= Posix.S_ISGID; // BSD group semantics, as ext4: setgid directories propagate
      }
      tree.mkdir(t.relative(), perms, caller.uid(), caller.gid());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("mkdir", path, e);
    }
  }

  @Override
  public int rmdir(String path) {
    try (Target t = target(path)) {
      writable(t).rmdir(t.relative());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("rmdir", path, e);
    }
  }

  // ---- other names -------------------------------------------------------------------------------------

  @Override
  public int mknod(String path, long mode, long rdev) {
    try (Target t = newTarget(path)) {
      WritableOverlayTree tree = writable(t);
      Caller caller = caller(t);
      tree.mknod(t.relative(), (int) mode, rdev, caller.uid(), caller.gid());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("mknod", path, e);
    }
  }

  @Override
  public int symlink(String target, String path) {
    try (Target t = newTarget(path)) {
      WritableOverlayTree tree = writable(t);
      Caller caller = caller(t);
      tree.symlink(target, t.relative(), caller.uid(), caller.gid());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("symlink", path, e);
    }
  }

  @Override
  public int unlink(String path) {
    if (HiddenFiles.isHiddenName(path) && hidden.unlink(path)) {
      return 0; // libfuse dropping a hidden file after its last release
    }
    try (Target t = target(path)) {
      writable(t).unlink(t.relative());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("unlink", path, e);
    }
  }

  /**
   * A plain {@code rename(2)}, or hiding a file unlinked while open (see {@link HiddenFiles}).
   */
  @Override
  public int rename(String from, String to) {
    return rename(from, to, 0);
  }

  /**
   * {@code renameat2(2)} with its flags (0, {@code RENAME_NOREPLACE}, {@code RENAME_EXCHANGE}),
   * which only the kernel transport passes on (libfuse 2.9 has no flags).
   */
  int rename(String from, String to, int flags) {
    try (Target t = target(from)) {
      WritableOverlayTree tree = writable(t);
      String toRelative = sameRef(t, to, from);
      if (HiddenFiles.isHiddenName(to) && flags == 0) {
        hide(t, tree, to);
      } else {
        tree.rename(t.relative(), toRelative, flags);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("rename", from + " -> " + to, e);
    }
  }

  /**
   * A plain {@code rename(2)} over a file that is open: on success the replaced file stays
   * reachable under {@code hiddenPath} (see {@link HiddenFiles}); on failure nothing changed.
   */
  int renameOverOpen(String from, String to, String hiddenPath) {
    try (Target t = target(from)) {
      WritableOverlayTree tree = writable(t);
      String toRelative = sameRef(t, to, from);
      Optional<Node> replaced = tree.resolve(toRelative);
      if (replaced.isPresent() && !replaced.get().isDirectory()) {
        keepingUnlinked(replaced.get(), hiddenPath,
            () -> tree.rename(t.relative(), toRelative, 0));
      } else {
        tree.rename(t.relative(), toRelative, 0);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("rename", from + " -> " + to, e);
    }
  }

  /** Unlinks an open file from the tree, keeping it reachable under {@code hiddenPath}. */
  private void hide(Target t, WritableOverlayTree tree, String hiddenPath) throws IOException {
    Node node = t.node();
    if (node.isDirectory()) {
      throw new IsDirectoryException(t.relative());
    }
    keepingUnlinked(node, hiddenPath, () -> tree.unlink(t.relative()));
  }

  /** A change of a tree, for {@link #keepingUnlinked}. */
  private interface TreeChange {
    void run() throws IOException;
  }

  /**
   * Runs {@code change}, which takes {@code node}'s file out of the tree, keeping the file
   * reachable under {@code hiddenPath} through an {@code O_PATH} descriptor; if the change fails,
   * nothing is kept and nothing changed.
   */
  private void keepingUnlinked(Node node, String hiddenPath, TreeChange change)
      throws IOException {
    String real = node.real().toString();
    int fd = Posix.openRaw(real, HiddenFiles.O_PATH | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("open(O_PATH)", -fd, real, null);
    }
    try {
      change.run();
    } catch (IOException | RuntimeException e) {
      Posix.close(fd);
      throw e;
    }
    hidden.hide(hiddenPath, fd, !node.isUpper());
  }


  @Override
  public int link(String existing, String path) {
    try (Target t = target(existing)) {
      writable(t).link(t.relative(), sameRef(t, path, existing));
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("link", existing + " -> " + path, e);
    }
  }

  // ---- attributes ------------------------------------------------------------------------------------------

  @Override
  public int chmod(String path, long mode) {
    try (Target t = target(path)) {
      int fd = hidden.descriptor(path);
      if (fd >= 0) {
        writableHidden(t, path);
        Posix.chmod(Path.of(HiddenFiles.procPath(fd)), (int) mode & 07777);
        return 0;
      }
      writable(t).chmod(t.relative(), (int) mode & 07777);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("chmod", path, e);
    }
  }

  /** {@code uid}/{@code gid} arrive as unsigned 32-bit values; -1 (unchanged) stays -1. */
  @Override
  public int chown(String path, long uid, long gid) {
    try (Target t = target(path)) {
      writable(t).chown(t.relative(), (int) uid, (int) gid);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("chown", path, e);
    }
  }

  @Override
  public int utimens(String path, Timespec[] times) {
    try (Target t = target(path)) {
      int fd = hidden.descriptor(path);
      if (fd >= 0) {
        writableHidden(t, path);
        Posix.utimens(Path.of(HiddenFiles.procPath(fd)), instant(times[0]), instant(times[1]),
            false);
        return 0;
      }
      writable(t).utimens(t.relative(), instant(times[0]), instant(times[1]));
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("utimens", path, e);
    }
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
    try (Target t = target(path)) {
      writable(t).truncate(t.relative(), size);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("truncate", path, e);
    }
  }

  // ---- extended attributes ---------------------------------------------------------------------------------

  @Override
  public int getxattr(String path, String name, Pointer value, long size) {
    try (Target t = target(path)) {
      if (t.ref() == null) {
        return -Errno.ENODATA;
      }
      Optional<byte[]> found = t.ref().tree().getXattr(t.relative(), name);
      if (found.isEmpty()) {
        return -Errno.ENODATA;
      }
      return copyOut(found.get(), value, size);
    } catch (IOException | RuntimeException e) {
      return fail("getxattr", path, e);
    }
  }

  @Override
  public int listxattr(String path, Pointer list, long size) {
    try (Target t = target(path)) {
      if (t.ref() == null) {
        return 0;
      }
      List<String> names = t.ref().tree().listXattr(t.relative());
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (String name : names) {
        byte[] bytes = name.getBytes(Charset.defaultCharset());
        all.write(bytes, 0, bytes.length);
        all.write(0);
      }
      return copyOut(all.toByteArray(), list, size);
    } catch (IOException | RuntimeException e) {
      return fail("listxattr", path, e);
    }
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
    try (Target t = target(path)) {
      WritableOverlayTree tree = writable(t);
      byte[] bytes = new byte[(int) size];
      if (size > 0) {
        value.get(0, bytes, 0, bytes.length);
      }
      tree.setXattr(t.relative(), name, bytes, flags);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("setxattr", path, e);
    }
  }

  @Override
  public int removexattr(String path, String name) {
    try (Target t = target(path)) {
      writable(t).removeXattr(t.relative(), name);
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("removexattr", path, e);
    }
  }

  // ---- open files ----------------------------------------------------------------------------------------------

  @Override
  public int create(String path, long mode, FuseFileInfo fi) {
    try (Target t = newTarget(path)) {
      WritableOverlayTree tree = writable(t);
      Caller caller = caller(t);
      fi.fh.set(handles.create(t.ref(), tree, t.relative(), (int) mode & 07777, caller.uid(),
          caller.gid(), fi.flags.get()));
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("create", path, e);
    }
  }

  /**
   * Opens a file. Files of trees that can never change keep the kernel's page cache across opens
   * ({@code keep_cache}); files of writable trees do not, so that a change through one hard link
   * is seen at the next open of another (each link is its own kernel inode in libfuse 2.9).
   */
  @Override
  public int open(String path, FuseFileInfo fi) {
    try (Target t = target(path)) {
      if (t.ref() == null) {
        return -Errno.EISDIR;
      }
      int flags = fi.flags.get();
      WritableOverlayTree tree = FileHandles.forWriting(flags) ? writable(t) : null;
      fi.fh.set(handles.open(t.ref(), tree, t.relative(), flags));
      if (t.ref().immutable()) {
        FuseAbi.setKeepCache(fi);
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("open", path, e);
    }
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    try {
      return handles.read(fi.fh.get(), buf, size, offset);
    } catch (RuntimeException e) {
      return fail("read", path, e);
    }
  }

  @Override
  public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    try {
      return handles.write(fi.fh.get(), buf, size, offset);
    } catch (RuntimeException e) {
      return fail("write", path, e);
    }
  }

  @Override
  public int ftruncate(String path, long size, FuseFileInfo fi) {
    try {
      return handles.truncate(fi.fh.get(), size);
    } catch (RuntimeException e) {
      return fail("ftruncate", path, e);
    }
  }

  @Override
  public int fallocate(String path, int mode, long off, long length, FuseFileInfo fi) {
    try {
      return handles.fallocate(fi.fh.get(), mode, off, length);
    } catch (RuntimeException e) {
      return fail("fallocate", path, e);
    }
  }

  @Override
  public int fsync(String path, int isdatasync, FuseFileInfo fi) {
    try {
      return handles.fsync(fi.fh.get(), isdatasync != 0);
    } catch (RuntimeException e) {
      return fail("fsync", path, e);
    }
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    try {
      handles.release(fi.fh.get());
      return 0;
    } catch (IOException | RuntimeException e) {
      return fail("release", path, e);
    }
  }

  // ---- plumbing --------------------------------------------------------------------------------------------------

  /**
   * A path with what answers for it; for a path in a ref, one use of the ref held until
   * {@link #close()}.
   */
  private record Target(MountPath path, RefTree ref) implements AutoCloseable {

    String relative() {
      return path.relative();
    }

    /** The node at a path in a ref. */
    Node node() throws IOException {
      if (ref == null) {
        throw new IsDirectoryException(path.kind().name());
      }
      return ref.tree().resolve(path.relative())
          .orElseThrow(() -> new NoSuchFileException(path.relative()));
    }

    @Override
    public void close() {
      if (ref != null) {
        ref.close();
      }
    }
  }

  /**
   * The target of an operation that creates {@code fusePath}: as {@link #target}, but a new name in
   * the mount's own directories ({@code /x}, {@code /refs/<unknown>}) is EROFS, not ENOENT.
   */
  private Target newTarget(String fusePath) throws IOException {
    MountPath at = MountPath.parse(fusePath);
    if (at.kind() == MountPath.Kind.NONE
        || at.kind() == MountPath.Kind.REF && at.relative().isEmpty()) {
      try {
        return target(fusePath);
      } catch (NoSuchFileException e) {
        throw new ReadOnlyFileSystemException();
      }
    }
    return target(fusePath);
  }

  private Target target(String fusePath) throws IOException {
    MountPath at = MountPath.parse(fusePath);
    switch (at.kind()) {
      case NONE -> throw new NoSuchFileException(fusePath);
      case ROOT, REFS -> {
        return new Target(at, null);
      }
      default -> {
        if (MountPath.nameTooLong(fusePath)) {
          throw ErrnoMapper.toException(null, Errno.ENAMETOOLONG, fusePath, null);
        }
        RefTree ref = trees.acquire(at.refId())
            .orElseThrow(() -> new NoSuchFileException(fusePath));
        return new Target(at, ref);
      }
    }
  }

  /**
   * The writable tree a mutation goes to: the one place that decides EROFS. Refused for the
   * mount's own directories, for read-only refs and for frozen (committed) writable ones.
   */
  private static WritableOverlayTree writable(Target t) {
    WritableOverlayTree tree = t.ref() == null ? null : t.ref().writableOrNull();
    if (tree == null) {
      throw new ReadOnlyFileSystemException();
    }
    return tree;
  }

  /**
   * Checks that a hidden file (unlinked while open) may change: its tree is writable, and it is a
   * file of the upper, not of a lower layer, which must never change (it cannot be copied up
   * any more: it has no name).
   */
  private void writableHidden(Target t, String path) {
    writable(t);
    if (hidden.isLower(path)) {
      throw new ReadOnlyFileSystemException();
    }
  }

  /**
   * The path in {@code t}'s ref that the second path of a rename or link names. Both must be in
   * the same ref: another ref is another filesystem to the caller (EXDEV), the mount's own
   * directories are read-only.
   */
  private static String sameRef(Target t, String otherFusePath, String fusePath)
      throws IOException {
    MountPath other = MountPath.parse(otherFusePath);
    if (other.kind() != MountPath.Kind.REF) {
      throw new ReadOnlyFileSystemException(); // a new name in the mount's own directories
    }
    if (!other.refId().equals(t.path().refId())) {
      throw ErrnoMapper.toException("rename/link", Errno.EXDEV, fusePath, otherFusePath);
    }
    if (MountPath.nameTooLong(otherFusePath)) {
      throw ErrnoMapper.toException(null, Errno.ENAMETOOLONG, otherFusePath, null);
    }
    return other.relative();
  }

  /**
   * Owner of a new entry: the caller, and, in a setgid directory, the directory's group.
   *
   * @param inheritsGroup whether the parent is a setgid directory (a new directory is setgid too)
   */
  private record Caller(int uid, int gid, boolean inheritsGroup) {
  }

  /**
   * The caller of the request this thread serves, set by the kernel transport around the
   * operations that create entries; unset (null) under libfuse, which has its own context.
   */
  private static final ThreadLocal<int[]> REQUEST_CALLER = new ThreadLocal<>();

  /** Sets this thread's caller ({@code uid} -1 clears it). */
  static void requestCaller(int uid, int gid) {
    REQUEST_CALLER.set(uid == -1 ? null : new int[] {uid, gid});
  }

  private Caller caller(Target t) {
    int[] request = REQUEST_CALLER.get();
    int uid;
    int gid;
    if (request != null) {
      uid = request[0];
      gid = request[1];
    } else {
      FuseContext context = getContext();
      uid = (int) context.uid.get();
      gid = (int) context.gid.get();
    }
    String relative = t.relative();
    String parent = relative.substring(0, Math.max(relative.lastIndexOf('/'), 0));
    Optional<Node> dir = t.ref().tree().resolve(parent);
    if (dir.isPresent() && (dir.get().stat().mode() & Posix.S_ISGID) != 0) {
      return new Caller(uid, dir.get().stat().gid(), true);
    }
    return new Caller(uid, gid, false);
  }

  private static int fail(String operation, String path, Throwable failure) {
    int errno = failure instanceof IsDirectoryException ? Errno.EISDIR
        : ErrnoMapper.toErrno(failure);
    if (errno == Errno.EIO) {
      // The path comes through the mount: any name a user of it chose.
      LOG.warn("{} {} failed: {}", operation, Printable.name(path), Printable.line(failure.toString()));
      LOG.debug("{} {} failed", operation, Printable.name(path), failure);
    } else if (LOG.isTraceEnabled()) {
      LOG.trace("{} {}: {}", operation, Printable.name(path), ErrnoMapper.name(errno), failure);
    }
    return -errno;
  }
}
