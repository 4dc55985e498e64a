package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A copy-on-write union: one writable upper directory over read-only lower layers, with the
 * semantics of kernel overlayfs and its on-disk format, so the upper written here is a valid
 * overlayfs {@code upperdir} (and an overlayfs upper is a valid upper here).
 *
 * <p>Where overlayfs is weak this does better: renaming a directory that comes from a lower layer
 * (or merges with one) works instead of failing with {@code EXDEV}. The merged subtree is copied
 * into the upper as an opaque directory, renamed, and a whiteout is left at the old name. That
 * copies every lower file below it, so it costs time and space in proportion to the subtree.
 *
 * <p>Mutations return or act on upper paths; they never touch a lower layer. Failures are
 * {@code java.nio.file} exceptions (errno for the FUSE edge through {@code ErrnoMapper.toErrno}):
 * {@link NoSuchFileException}, {@link FileAlreadyExistsException}, {@link NotDirectoryException},
 * {@link DirectoryNotEmptyException}, {@link IsDirectoryException}, and for the errnos java.nio
 * has no type for ({@code EINVAL}, {@code EBUSY}, {@code EPERM}, {@code EOPNOTSUPP},
 * {@code ENODATA}) the exceptions {@link ErrnoMapper#toException} makes.
 *
 * <p>Thread rules: every mutation runs under the tree's write lock, so a multi-step change
 * (copy-up, whiteout, directory rename) is never seen half done; {@link #resolve}, {@link #list}
 * and the xattr reads run under its read lock and run concurrently with each other. Reading or
 * writing the content of a real file returned here happens outside the lock, as with any open
 * file. After {@link #freeze()} every mutation throws {@link ReadOnlyFileSystemException}.
 *
 * <p>Resolutions in the upper are not cached (it changes); each lookup costs one {@code lstat}
 * per path component in the upper, while the lower layers' resolutions come from the cache of
 * the read-only union.
 */
public final class WritableOverlayTree extends OverlayTree {

  /**
   * Prefix of the temporary names used to build an entry next to its final place before an
   * atomic rename. Only a crash can leave one behind.
   */
  static final String TEMP_PREFIX = ".refcache-tmp-";

  private final Path upper;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile boolean frozen;
  private long tempCounter;
  /** Per lower layer, its hard-linked files; built on the first copy-up that needs it. */
  private final Map<Integer, LayerFiles.HardLinks> hardLinks = new HashMap<>();
  /** {@code st_dev} of the upper: an origin recorded on another filesystem is not used. */
  private final long upperDev;
  /**
   * Per union path of an upper entry, the inode number it reports: its lower origin's
   * ({@link OverlayConventions#ORIGIN_INO_XATTR}), or {@link #NO_ORIGIN}. Filled at copy-up and
   * creation (under the write lock) and on the first {@link #reportedIno} of a path (under the
   * read lock); entries of paths whose file changes (unlink, rmdir, rename) are dropped under the
   * write lock. Sorted, so a directory's subtree is one range.
   */
  private final ConcurrentSkipListMap<String, Long> origins = new ConcurrentSkipListMap<>();
  private static final Long NO_ORIGIN = -1L;
  private final List<CopyUpListener> copyUpListeners = new CopyOnWriteArrayList<>();
  private final CopyUpCtimes ctimes = new CopyUpCtimes();
  /** Copies opened for listeners during the running mutation, handed over once it is done. */
  private List<CopiedUp> copiedUp = new ArrayList<>();

  /**
   * Told when a lower regular file is copied up, so that descriptors opened for reading on the
   * lower file can follow the copy (as on overlayfs since Linux 4.19, and as on a plain
   * filesystem, where there is only one file).
   */
  public interface CopyUpListener {

    /**
     * Whether the listener wants the copy of lower file {@code dev}/{@code ino}. Asked under the
     * tree's write lock: it must answer at once, without blocking or calling the tree.
     */
    boolean wants(long dev, long ino);

    /**
     * The copy of lower file {@code dev}/{@code ino}, opened {@code O_RDONLY} as {@code fd}, which
     * this call must close. Called after the mutation that copied it up, outside the tree's lock,
     * before the mutation returns to its caller.
     */
    void copiedUp(long dev, long ino, int fd);
  }

  private record CopiedUp(long dev, long ino, int fd) {
  }

  /** Adds {@code listener} unless an equal one is registered. */
  public void addCopyUpListener(CopyUpListener listener) {
    ((CopyOnWriteArrayList<CopyUpListener>) copyUpListeners).addIfAbsent(listener);
  }

  public void removeCopyUpListener(CopyUpListener listener) {
    copyUpListeners.remove(listener);
  }

  /** After {@code copy} of regular lower file {@code lower} is in place: opens it if wanted. */
  private void offerCopy(Stat lower, Path copy) {
    if (copyUpListeners.isEmpty() || !lower.isRegularFile()) {
      return;
    }
    boolean wanted = false;
    for (CopyUpListener listener : copyUpListeners) {
      wanted |= listener.wants(lower.dev(), lower.ino());
    }
    if (!wanted) {
      return;
    }
    int fd = Posix.openRaw(copy.toString(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    if (fd >= 0) { // else the readers keep the lower file, as before
      copiedUp.add(new CopiedUp(lower.dev(), lower.ino(), fd));
    }
  }

  /** Hands the copies opened during a mutation to the listeners (no lock held); closes them. */
  private static void deliver(List<CopiedUp> copies, List<CopyUpListener> listeners) {
    for (CopiedUp copy : copies) {
      try {
        for (CopyUpListener listener : listeners) {
          if (listener.wants(copy.dev(), copy.ino())) {
            int fd = Posix.openRaw("/proc/self/fd/" + copy.fd(), Posix.O_RDONLY | Posix.O_CLOEXEC,
                0);
            if (fd >= 0) {
              listener.copiedUp(copy.dev(), copy.ino(), fd);
            }
          }
        }
      } finally {
        Posix.close(copy.fd());
      }
    }
  }

  /**
   * @param upper          an existing directory, on a filesystem supporting {@code trusted.*}
   *                       xattrs and character devices (we are root), not one of the lowers
   * @param lowersTopFirst the read-only layers, top first; may be empty
   * @throws IllegalArgumentException if {@code upper} is not a directory or is a lower
   */
  public WritableOverlayTree(Path upper, List<Path> lowersTopFirst) {
    this(TreeLayer.directories(lowersTopFirst), upper);
  }

  /**
   * The copy-on-write union of {@code upper} over {@code lowersTopFirst}, which may include change
   * sets; see {@link #WritableOverlayTree(Path, List)}.
   */
  public static WritableOverlayTree over(Path upper, List<TreeLayer> lowersTopFirst) {
    return new WritableOverlayTree(lowersTopFirst, upper);
  }

  private WritableOverlayTree(List<TreeLayer> lowersTopFirst, Path upper) {
    super(ResolutionCache.DEFAULT_CAPACITY, lowersTopFirst, true);
    if (!Files.isDirectory(upper, LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException("upper is not a directory: " + upper);
    }
    if (layers().contains(upper)) {
      throw new IllegalArgumentException("upper is also a lower layer: " + upper);
    }
    this.upper = upper;
    try {
      this.upperDev = Posix.lstat(upper).dev();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat upper " + upper, e);
    }
  }

  /**
   * The inode number the union reports for the upper non-directory at {@code path}, whose real
   * file has inode number {@code realIno}: the lower file's if it was copied up from one (kept as
   * ext4 keeps it, and as overlayfs does through its origin), else {@code realIno}. Every name of
   * a hard-linked copy reports the same number. Upper and lowers share one filesystem, so the
   * number is unique in the tree: the lower file it belongs to is hidden by its copy everywhere
   * the union could show it (its other names in its layer are linked to the copy).
   *
   * <p>Cheap: a map lookup; only the first call for a path that neither this tree copied up nor
   * created (after a restart) reads the origin attribute, once.
   *
   * @param path a path that {@link #resolve} answered with an upper entry
   */
  public long reportedIno(String path, long realIno) {
    Long known = origins.get(path);
    if (known == null) {
      known = readLocked(() -> {
        Long again = origins.get(path);
        if (again != null) {
          return again;
        }
        Long read;
        try {
          read = readOrigin(upper.resolve(path));
        } catch (IOException gone) {
          return null; // changed meanwhile: report the real number, remember nothing
        }
        origins.put(path, read);
        return read;
      });
      if (known == null) {
        return realIno;
      }
    }
    return known.longValue() == NO_ORIGIN ? realIno : known;
  }

  /**
   * The ctime the union reports for the upper entry at {@code path}, whose real ctime is
   * {@code realCtime}: what it showed before a copy-up changed its real ctime, until something
   * changes it for real (see {@link CopyUpCtimes}).
   */
  public Instant reportedCtime(String path, Instant realCtime) {
    long real = CopyUpCtimes.nanos(realCtime);
    long shown = ctimes.reported(path, real);
    return shown == real ? realCtime
        : Instant.ofEpochSecond(Math.floorDiv(shown, 1_000_000_000L),
            Math.floorMod(shown, 1_000_000_000L));
  }

  /** The origin inode number recorded on the upper file {@code real}, or {@link #NO_ORIGIN}. */
  private Long readOrigin(Path real) throws IOException {
    Optional<byte[]> value = Posix.lgetxattr(real, OverlayConventions.ORIGIN_INO_XATTR);
    if (value.isEmpty()) {
      return NO_ORIGIN;
    }
    String text = new String(value.get(), StandardCharsets.US_ASCII);
    int colon = text.indexOf(':');
    try {
      long dev = Long.parseUnsignedLong(text.substring(0, colon));
      long ino = Long.parseUnsignedLong(text.substring(colon + 1));
      return dev == upperDev ? ino : NO_ORIGIN;
    } catch (NumberFormatException | IndexOutOfBoundsException malformed) {
      return NO_ORIGIN;
    }
  }

  /**
   * Records on the (not yet published) copy {@code copy} the file it stands for: the lower file
   * it was copied from, or the number a directory it replaces reported.
   */
  private static void recordOrigin(Path copy, long dev, long ino) throws IOException {
    byte[] value = (Long.toUnsignedString(dev) + ":" + Long.toUnsignedString(ino))
        .getBytes(StandardCharsets.US_ASCII);
    Posix.lsetxattr(copy, OverlayConventions.ORIGIN_INO_XATTR, value, 0);
  }



  /** The inode number a lower file copied up reports through its copy. */
  private Long originOf(Stat lower) {
    return lower.dev() == upperDev ? lower.ino() : NO_ORIGIN;
  }

  /** Forgets what is known of {@code path} and everything below it (callers hold the write lock). */
  private void forgetOrigins(String path) {
    ctimes.forget(path);
    origins.remove(path);
    if (path.isEmpty()) {
      origins.clear();
    } else {
      // '0' follows '/': the range holds exactly the paths below "path/".
      origins.subMap(path + "/", true, path + "0", false).clear();
    }
  }

  /** The upper directory. */
  public Path upper() {
    return upper;
  }

  /** Makes the tree read-only (after a commit): every later mutation throws EROFS, until {@link #thaw()}. */
  public void freeze() {
    lock.writeLock().lock();
    try {
      frozen = true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Takes a {@link #freeze()} back: for a commit that was undone before anyone saw its twin (the
   * caller could not record it), so the tree is writable again as if the commit never happened.
   */
  public void thaw() {
    lock.writeLock().lock();
    try {
      frozen = false;
    } finally {
      lock.writeLock().unlock();
    }
  }

  public boolean frozen() {
    return frozen;
  }

  /** Whether mutations are allowed: until {@link #freeze()}. */
  @Override
  public boolean isWritable() {
    return !frozen;
  }

  // ---- mutations --------------------------------------------------------------------------------

  /**
   * Makes sure the entry at {@code path} is in the upper and returns its upper path. Parents are
   * copied first (directories without their children: they stay merged); a non-directory is
   * copied whole. Everything overlayfs keeps is kept: type, content, symlink target, device
   * number, mode with setuid/setgid/sticky, owner, nanosecond access and modification times, and
   * every xattr but overlay's own. The parent's times do not change: a copy-up is invisible.
   * Idempotent.
   *
   * @throws NoSuchFileException if nothing is at {@code path}
   */
  public Path copyUp(String path) throws IOException {
    TreePath.check(path);
    return mutate(() -> copyUpLocked(path, true));
  }

  /**
   * Prepares the regular file at {@code path} for writing through the returned upper path:
   * copied up (without its content when {@code truncate}, which then empties it as
   * {@code O_TRUNC} does, times included).
   *
   * @throws IsDirectoryException if it is a directory
   * @throws java.nio.file.FileSystemLoopException if it is a symbolic link ({@code ELOOP})
   */
  public Path openForWrite(String path, boolean truncate) throws IOException {
    TreePath.check(path);
    return mutate(() -> openForWriteLocked(path, truncate));
  }

  /**
   * Creates a regular file (or, unless {@code exclusive}, opens an existing one for writing, as
   * {@code open(O_CREAT)} does) and returns its upper path.
   *
   * @param mode permission bits (07777); the umask is the caller's business
   * @throws FileAlreadyExistsException if {@code exclusive} and something is there
   * @throws IsDirectoryException       if a directory is there
   * @throws NoSuchFileException        if the parent is missing
   * @throws NotDirectoryException      if the parent is not a directory
   */
  public Path createFile(String path, int mode, int uid, int gid, boolean exclusive)
      throws IOException {
    TreePath.check(path);
    return mutate(() -> {
      Resolution parent = requireParentDirectory(path);
      Optional<Resolution> existing = lookup(path);
      if (existing.isPresent()) {
        if (exclusive) {
          throw new FileAlreadyExistsException(path);
        }
        return openForWriteLocked(path, false);
      }
      return createNew(path, false, parent, temp -> {
        LayerFiles.createFile(temp);
        setOwnerAndMode(temp, uid, gid, mode);
      });
    });
  }

  /**
   * Creates a directory. Over a whiteout it is opaque (the overlayfs rule), so nothing of the
   * deleted lower directory comes back.
   *
   * @throws FileAlreadyExistsException if something is there
   */
  public void mkdir(String path, int mode, int uid, int gid) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Resolution parent = requireAbsent(path);
      return createNew(path, true, parent, temp -> {
        LayerFiles.createDirectory(temp);
        setOwnerAndMode(temp, uid, gid, mode);
      });
    });
  }

  /**
   * Creates a device, FIFO, socket or (type bits 0 or {@code S_IFREG}) regular file.
   *
   * @param mode type bits ({@code Posix.S_IF*}) and permission bits
   * @param rdev device number of a device ({@code Posix.makedev})
   * @throws java.nio.file.AccessDeniedException for a directory type or a character device 0/0,
   *                                             which the union would take for a whiteout
   *                                             ({@code EPERM})
   */
  public void mknod(String path, int mode, long rdev, int uid, int gid) throws IOException {
    TreePath.check(path);
    int type = (mode & Posix.S_IFMT) == 0 ? Posix.S_IFREG : mode & Posix.S_IFMT;
    mutate(() -> {
      switch (type) {
        case Posix.S_IFREG, Posix.S_IFIFO, Posix.S_IFSOCK, Posix.S_IFBLK -> { }
        case Posix.S_IFCHR -> {
          if (rdev == OverlayConventions.WHITEOUT_RDEV) {
            throw ErrnoMapper.toException("mknod (a whiteout)", Errno.EPERM, path, null);
          }
        }
        case Posix.S_IFDIR -> throw ErrnoMapper.toException("mknod", Errno.EPERM, path, null);
        default -> throw ErrnoMapper.toException("mknod", Errno.EINVAL, path, null);
      }
      Resolution parent = requireAbsent(path);
      return createNew(path, false, parent, temp -> {
        Posix.mknod(temp, type | (mode & 07777), rdev);
        setOwnerAndMode(temp, uid, gid, mode);
      });
    });
  }

  /**
   * Creates a symbolic link to {@code target}, not resolved; the target is stored byte for byte
   * ({@code Posix.symlink}: {@code java.nio.file} would turn {@code "a//b/"} into {@code "a/b"}).
   *
   * @throws FileAlreadyExistsException if something is at {@code path}
   */
  public void symlink(String target, String path, int uid, int gid) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Resolution parent = requireAbsent(path);
      return createNew(path, false, parent, temp -> {
        Posix.symlink(target, temp);
        Posix.lchown(temp, uid, gid);
      });
    });
  }

  /**
   * Makes {@code newPath} another name of the non-directory at {@code existing} (copied up first,
   * so the link count is the upper file's).
   *
   * @throws java.nio.file.AccessDeniedException if {@code existing} is a directory ({@code EPERM})
   * @throws FileAlreadyExistsException          if something is at {@code newPath}
   */
  public void link(String existing, String newPath) throws IOException {
    TreePath.check(existing);
    TreePath.check(newPath);
    mutate(() -> {
      Resolution source = require(existing);
      if (source.isDirectory()) {
        throw ErrnoMapper.toException("link", Errno.EPERM, existing, newPath);
      }
      requireAbsent(newPath);
      Path sourceUpper = copyUpLocked(existing, true);
      // Resolved again: the copy-up of the source may have copied up this parent too.
      Path made = createNew(newPath, false, require(TreePath.parent(newPath)),
          temp -> LayerFiles.createLink(temp, sourceUpper));
      origins.remove(newPath); // one file: read from the shared attribute when asked
      Long known = origins.get(existing);
      if (known != null) {
        origins.put(newPath, known);
      }
      return made;
    });
  }

  /**
   * Removes a non-directory: its upper copy goes, and a whiteout takes its place when a lower
   * layer has the name.
   *
   * @throws IsDirectoryException if it is a directory
   */
  public void unlink(String path) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Resolution entry = require(path);
      if (entry.isDirectory()) {
        throw new IsDirectoryException(path);
      }
      if (!entry.node().isUpper() && entry.node().stat().nlink() > 1) {
        // The file's other names stay: copied up with this one (see copyUpLocked), they then
        // show the link count going down, as one file's names do.
        copyUpLocked(path, true);
        entry = require(path);
      }
      boolean lowerHasIt = lowerHas(path);
      Path parentUpper = copyUpDirectory(TreePath.parent(path));
      Path target = parentUpper.resolve(TreePath.name(path));
      if (!entry.node().isUpper()) {
        LayerFiles.createWhiteout(target);
      } else if (lowerHasIt) {
        replaceWithWhiteout(parentUpper, target);
      } else {
        LayerFiles.delete(target);
      }
      forgetOrigins(path);
      return null;
    });
  }

  /**
   * Removes an empty directory. Empty means in the merged view: names in lower layers count
   * unless whited out. The upper directory (holding only whiteouts then) goes, and a whiteout
   * takes its place when a lower layer has the name.
   *
   * @throws DirectoryNotEmptyException if any merged child remains
   * @throws NotDirectoryException      if it is not a directory
   */
  public void rmdir(String path) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      if (path.isEmpty()) {
        throw ErrnoMapper.toException("rmdir", Errno.EBUSY, path, null);
      }
      Resolution entry = require(path);
      if (!entry.isDirectory()) {
        throw new NotDirectoryException(path);
      }
      if (!listMerged(path).isEmpty()) {
        throw new DirectoryNotEmptyException(path);
      }
      boolean lowerHasIt = lowerHas(path);
      Path parentUpper = copyUpDirectory(TreePath.parent(path));
      Path target = parentUpper.resolve(TreePath.name(path));
      if (!entry.node().isUpper()) {
        LayerFiles.createWhiteout(target);
      } else if (lowerHasIt) {
        replaceWithWhiteout(parentUpper, target);
      } else {
        LayerFiles.deleteTree(target);
      }
      forgetOrigins(path);
      return null;
    });
  }

  /**
   * POSIX {@code rename(2)} with {@code renameat2(2)} flags, in the union. Unlike overlayfs it also
   * moves directories that come from or merge with lower layers (see the class comment).
   *
   * @param flags 0, {@code Posix.RENAME_NOREPLACE} or {@code Posix.RENAME_EXCHANGE}
   * @throws NoSuchFileException        if {@code from} is missing (or {@code to}, for EXCHANGE)
   * @throws FileAlreadyExistsException with NOREPLACE when {@code to} exists
   * @throws IsDirectoryException       a non-directory over a directory
   * @throws NotDirectoryException      a directory over a non-directory
   * @throws DirectoryNotEmptyException a directory over a non-empty directory
   * @throws org.refcache.posix.NativeException {@code EINVAL} for a directory into its own subtree
   *                                    or unknown flags, {@code EBUSY} for the root
   */
  public void rename(String from, String to, int flags) throws IOException {
    TreePath.check(from);
    TreePath.check(to);
    mutate(() -> {
      try {
        renameLocked(from, to, flags);
      } finally {
        forgetOrigins(from);
        forgetOrigins(to);
      }
      return null;
    });
  }

  /**
   * Sets the permission bits (07777) of the entry at {@code path}.
   *
   * @throws org.refcache.posix.NativeException {@code EOPNOTSUPP} for a symbolic link (Linux has
   *                                            no lchmod)
   */
  public void chmod(String path, int mode) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      if (require(path).node().isSymlink()) {
        throw ErrnoMapper.toException("chmod", Errno.EOPNOTSUPP, path, null);
      }
      Posix.chmod(copyUpLocked(path, true), mode & 07777);
      return null;
    });
  }

  /** Changes owner and group of the entry itself; -1 leaves one unchanged. */
  public void chown(String path, int uid, int gid) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Posix.lchown(copyUpLocked(path, true), uid, gid);
      return null;
    });
  }

  /** Sets access and modification times of the entry itself (null leaves one unchanged). */
  public void utimens(String path, Instant atime, Instant mtime) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Posix.utimens(copyUpLocked(path, true), atime, mtime, true);
      return null;
    });
  }

  /**
   * Sets the size of a regular file ({@code truncate(2)}: cut, or extended with a hole).
   *
   * @throws IsDirectoryException if it is a directory
   * @throws org.refcache.posix.NativeException {@code EINVAL} for another non-regular file
   */
  public void truncate(String path, long size) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Resolution entry = require(path);
      if (entry.isDirectory()) {
        throw new IsDirectoryException(path);
      }
      if (!entry.node().isRegularFile() || size < 0) {
        throw ErrnoMapper.toException("truncate", Errno.EINVAL, path, null);
      }
      Path real = copyUpLocked(path, size > 0);
      int fd = Posix.open(real, Posix.O_WRONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      int rc = Posix.ftruncate(fd, size);
      Posix.close(fd);
      if (rc < 0) {
        throw ErrnoMapper.toException("ftruncate", -rc, path, null);
      }
      return null;
    });
  }

  /**
   * Sets an extended attribute ({@code flags}: 0, {@code Posix.XATTR_CREATE} or
   * {@code Posix.XATTR_REPLACE}).
   *
   * @throws java.nio.file.AccessDeniedException for overlay's own attributes ({@code EPERM})
   */
  public void setXattr(String path, String name, byte[] value, int flags) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      if (OverlayConventions.isPrivateXattr(name)) {
        throw ErrnoMapper.toException("setxattr(" + name + ")", Errno.EPERM, path, null);
      }
      Posix.lsetxattr(copyUpLocked(path, true), name, value, flags);
      return null;
    });
  }

  /**
   * Removes an extended attribute (a missing one fails with {@code ENODATA}).
   *
   * @throws java.nio.file.AccessDeniedException for overlay's own attributes ({@code EPERM})
   */
  public void removeXattr(String path, String name) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      if (OverlayConventions.isPrivateXattr(name)) {
        throw ErrnoMapper.toException("removexattr(" + name + ")", Errno.EPERM, path, null);
      }
      // Copied up even when the attribute is missing: which errno that gives (ENODATA, or
      // EPERM for user.* on a special file) is the kernel's to say.
      Posix.lremovexattr(copyUpLocked(path, true), name);
      return null;
    });
  }

  // ---- resolution with the upper on top --------------------------------------------------------

  /**
   * The read-only layers' resolution (cached) with the upper on top: per component, the upper
   * entry if any, then the lowers while the upper has not cut them off (a whiteout, an opaque
   * directory, or a directory over a lower non-directory).
   */
  @Override
  Optional<Resolution> lookup(String path) {
    try {
      return lookupMerged(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve \"" + path + "\" over " + upper, e);
    }
  }

  private Optional<Resolution> lookupMerged(String path) throws IOException {
    Path upperDir = upper;
    Stat upperStat = null;
    Optional<Resolution> lower = lookupLayers(TreePath.ROOT);
    boolean lowersContribute = lower.isPresent();
    int start = 0;
    while (!path.isEmpty()) {
      int slash = path.indexOf('/', start);
      boolean last = slash < 0;
      int end = last ? path.length() : slash;
      String name = path.substring(start, end);
      if (upperDir != null) {
        Path candidate = upperDir.resolve(name);
        Optional<Stat> found = LayerFiles.lstatIfExists(candidate);
        if (found.isEmpty()) {
          upperDir = null;
        } else if (OverlayConventions.isWhiteout(found.get())) {
          return Optional.empty();
        } else if (!found.get().isDirectory()) {
          return last
              ? Optional.of(new Resolution(new Node(path, candidate, Node.UPPER, found.get()),
                  List.of()))
              : Optional.empty();
        } else {
          upperDir = candidate;
          upperStat = found.get();
          if (lowersContribute && LayerFiles.isOpaque(candidate)) {
            lowersContribute = false;
          }
        }
      }
      if (lowersContribute) {
        lower = lookupLayers(path.substring(0, end));
        if (lower.isEmpty()) {
          lowersContribute = false;
        } else if (!lower.get().isDirectory()) {
          if (upperDir != null) {
            lowersContribute = false;
          } else if (!last) {
            return Optional.empty();
          }
        }
      }
      if (upperDir == null && !lowersContribute) {
        return Optional.empty();
      }
      if (last) {
        break;
      }
      start = slash + 1;
    }
    if (upperDir == null) {
      return lower;
    }
    if (upperStat == null) {
      upperStat = Posix.lstat(upper);
    }
    List<Branch> branches = new ArrayList<>();
    branches.add(new Branch(Node.UPPER, upperDir));
    if (lowersContribute) {
      branches.addAll(lower.get().branches());
    }
    return Optional.of(new Resolution(new Node(path, upperDir, Node.UPPER, upperStat), branches));
  }

  /**
   * Whether a lower layer has something at {@code path} that the union would show if the upper
   * had nothing there: then removing or moving the name needs a whiteout, and a directory put
   * there must be opaque.
   */
  private boolean lowerHas(String path) {
    Optional<Resolution> parent = lookup(TreePath.parent(path));
    return parent.isPresent() && parent.get().hasLowerBranches()
        && lookupLayers(path).isPresent();
  }

  // ---- locking ---------------------------------------------------------------------------------

  @Override
  <T> T readLocked(Supplier<T> read) {
    lock.readLock().lock();
    try {
      return read.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  <T> T readLockedIo(IoAction<T> read) throws IOException {
    lock.readLock().lock();
    try {
      return read.run();
    } finally {
      lock.readLock().unlock();
    }
  }

  private <T> T mutate(IoAction<T> mutation) throws IOException {
    List<CopiedUp> copies;
    boolean done = false;
    lock.writeLock().lock();
    try {
      if (frozen) {
        throw new ReadOnlyFileSystemException();
      }
      T result = mutation.run();
      done = true;
      return result;
    } finally {
      copies = copiedUp;
      if (!copies.isEmpty()) {
        copiedUp = new ArrayList<>();
      }
      lock.writeLock().unlock();
      if (!copies.isEmpty()) {
        // After a failure a copy may have been thrown away (a directory rebuilt for a rename):
        // readers then keep the lower file.
        deliver(copies, done ? copyUpListeners : List.of());
      }
    }
  }

  // ---- steps of the mutations; callers hold the write lock --------------------------------------

  private Resolution require(String path) throws IOException {
    Optional<Resolution> entry = lookup(path);
    if (entry.isPresent()) {
      return entry.get();
    }
    throw missing(path);
  }

  /** The exception for a missing {@code path}: ENOTDIR if an ancestor is not a directory. */
  private IOException missing(String path) {
    int slash = path.indexOf('/');
    while (slash >= 0) {
      Optional<Resolution> ancestor = lookup(path.substring(0, slash));
      if (ancestor.isEmpty()) {
        return new NoSuchFileException(path);
      }
      if (!ancestor.get().isDirectory()) {
        return new NotDirectoryException(path);
      }
      slash = path.indexOf('/', slash + 1);
    }
    return new NoSuchFileException(path);
  }

  /** The resolution of {@code path}'s parent, which must be a directory. */
  private Resolution requireParentDirectory(String path) throws IOException {
    if (path.isEmpty()) {
      throw new FileAlreadyExistsException(path);
    }
    Optional<Resolution> parent = lookup(TreePath.parent(path));
    if (parent.isEmpty()) {
      throw missing(TreePath.parent(path));
    }
    if (!parent.get().isDirectory()) {
      throw new NotDirectoryException(path);
    }
    return parent.get();
  }

  /**
   * Checks that {@code path} can be created: nothing there, its parent a directory, whose
   * resolution it returns (valid until the running mutation changes the tree).
   */
  private Resolution requireAbsent(String path) throws IOException {
    Resolution parent = requireParentDirectory(path);
    if (lookup(path).isPresent()) {
      throw new FileAlreadyExistsException(path);
    }
    return parent;
  }

  private Path openForWriteLocked(String path, boolean truncate) throws IOException {
    Resolution entry = require(path);
    if (entry.isDirectory()) {
      throw new IsDirectoryException(path);
    }
    if (entry.node().isSymlink()) {
      throw ErrnoMapper.toException("open", Errno.ELOOP, path, null);
    }
    boolean regular = entry.node().isRegularFile();
    Path real = copyUpLocked(path, !(truncate && regular));
    if (truncate && regular) {
      // O_TRUNC rather than ftruncate(0): it is what an open would do, times included.
      int fd = Posix.open(real,
          Posix.O_WRONLY | Posix.O_TRUNC | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      Posix.close(fd);
    }
    return real;
  }

  private Path copyUpLocked(String path, boolean withContent) throws IOException {
    Resolution entry = require(path);
    if (entry.node().isUpper()) {
      return entry.node().real();
    }
    if (entry.isDirectory()) {
      return copyUpDirectory(path);
    }
    Path copy = copyUpInto(copyUpDirectory(TreePath.parent(path)), entry.node(), withContent);
    if (entry.node().stat().nlink() > 1) {
      linkLowerSiblings(entry.node(), copy);
    }
    return copy;
  }

  /**
   * Hard links in a lower layer stay one file after copy-up: the other names of the lower file
   * that the union still shows from that same lower file become hard links of its upper
   * {@code copy}, so a change through one name is seen through every name and link counts stay
   * right (as on a plain filesystem; overlayfs needs its {@code index} feature for this). Their
   * parents are copied up as needed and keep their times: nothing visible changes.
   */
  private void linkLowerSiblings(Node lower, Path copy) throws IOException {
    for (String sibling : hardLinks(lower.layerIndex()).namesOf(lower.stat())) {
      if (sibling.equals(lower.path())) {
        continue;
      }
      Optional<Resolution> shown = lookup(sibling);
      if (shown.isEmpty() || shown.get().node().layerIndex() != lower.layerIndex()
          || !sameFile(shown.get().node(), lower)) {
        continue; // hidden (whiteout, another entry above) or already apart
      }
      Path parentUpper = copyUpDirectory(TreePath.parent(sibling));
      Stat parentStat = Posix.lstat(parentUpper);
      Path temp = newTempPath(parentUpper);
      try {
        LayerFiles.createLink(temp, copy);
        Posix.renameat2(temp, parentUpper.resolve(TreePath.name(sibling)),
            Posix.RENAME_NOREPLACE);
      } catch (IOException | RuntimeException e) {
        deleteAfterFailure(temp, e);
        throw e;
      }
      origins.put(sibling, originOf(lower.stat()));
      LayerFiles.setTimes(parentUpper, parentStat);
    }
  }

  /** The hard-linked files of lower layer {@code layerIndex}, read once (layers never change). */
  private LayerFiles.HardLinks hardLinks(int layerIndex) throws IOException {
    LayerFiles.HardLinks links = hardLinks.get(layerIndex);
    if (links == null) {
      links = LayerFiles.HardLinks.of(layers().get(layerIndex));
      hardLinks.put(layerIndex, links);
    }
    return links;
  }

  /** Makes sure the directory at {@code dirPath} and its parents are in the upper. */
  private Path copyUpDirectory(String dirPath) throws IOException {
    return dirPath.isEmpty() ? upper : copyUpDirectory(dirPath, require(dirPath));
  }

  /** {@link #copyUpDirectory(String)} of a directory already resolved as {@code dir}. */
  private Path copyUpDirectory(String dirPath, Resolution dir) throws IOException {
    if (dirPath.isEmpty()) {
      return upper;
    }
    if (!dir.isDirectory()) {
      throw new NotDirectoryException(dirPath);
    }
    if (dir.node().isUpper()) {
      return dir.node().real();
    }
    return copyUpInto(copyUpDirectory(TreePath.parent(dirPath)), dir.node(), false);
  }

  /**
   * Copies a lower entry (a directory without children) into {@code parentUpper}: built under a
   * temporary name and renamed into place, so the upper never holds half a copy; the parent's
   * times are put back, since a copy-up changes nothing visible.
   */
  private Path copyUpInto(Path parentUpper, Node lowerNode, boolean withContent)
      throws IOException {
    Path target = parentUpper.resolve(TreePath.name(lowerNode.path()));
    Stat parentStat = Posix.lstat(parentUpper);
    Path temp = newTempPath(parentUpper);
    boolean directory = lowerNode.isDirectory();
    try {
      LayerFiles.copyEntry(lowerNode.real(), lowerNode.stat(), temp, withContent);
      // Directories too: a directory's st_ino does not change when a file is made in it.
      recordOrigin(temp, lowerNode.stat().dev(), lowerNode.stat().ino());
      Posix.renameat2(temp, target, Posix.RENAME_NOREPLACE);
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(temp, e);
      throw e;
    }
    origins.put(lowerNode.path(), originOf(lowerNode.stat()));
    if (!directory) {
      offerCopy(lowerNode.stat(), target);
    }
    LayerFiles.setTimes(parentUpper, parentStat);
    String parentPath = TreePath.parent(lowerNode.path());
    long parentShown = ctimes.reported(parentPath, CopyUpCtimes.nanos(parentStat.ctime()));
    ctimes.copiedUp(parentPath, parentShown, CopyUpCtimes.nanos(Posix.lstat(parentUpper).ctime()));
    ctimes.copiedUp(lowerNode.path(), CopyUpCtimes.nanos(lowerNode.stat().ctime()),
        CopyUpCtimes.nanos(Posix.lstat(target).ctime()));
    return target;
  }

  /**
   * Makes a new entry at {@code path} (checked absent, its parent the directory {@code parent}
   * resolves to in the current state of the tree) through {@code maker}.
   */
  private Path createNew(String path, boolean directory, Resolution parent, EntryMaker maker)
      throws IOException {
    Path parentUpper = copyUpDirectory(TreePath.parent(path), parent);
    Path target = parentUpper.resolve(TreePath.name(path));
    Optional<Stat> there = LayerFiles.lstatIfExists(target);
    if (there.isPresent() && !OverlayConventions.isWhiteout(there.get())) {
      throw new FileAlreadyExistsException(path);
    }
    Path temp = newTempPath(parentUpper);
    try {
      maker.make(temp);
      if (there.isEmpty()) {
        Posix.renameat2(temp, target, Posix.RENAME_NOREPLACE);
      } else if (directory) {
        // A directory cannot replace a whiteout: swap them, then drop the whiteout.
        LayerFiles.setOpaque(temp);
        Posix.renameat2(temp, target, Posix.RENAME_EXCHANGE);
        LayerFiles.delete(temp);
      } else {
        Posix.renameat2(temp, target, 0);
      }
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(temp, e);
      throw e;
    }
    if (directory) {
      forgetOrigins(path);
    } else {
      origins.put(path, NO_ORIGIN); // link() corrects this for a new name of an existing file
    }
    return target;
  }

  /** Atomically replaces the upper entry {@code target} by a whiteout, then deletes the entry. */
  private void replaceWithWhiteout(Path parentUpper, Path target) throws IOException {
    Path whiteout = newTempPath(parentUpper);
    LayerFiles.createWhiteout(whiteout);
    try {
      Posix.renameat2(whiteout, target, Posix.RENAME_EXCHANGE);
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(whiteout, e);
      throw e;
    }
    LayerFiles.deleteTree(whiteout);
  }

  private void renameLocked(String from, String to, int flags) throws IOException {
    int known = Posix.RENAME_NOREPLACE | Posix.RENAME_EXCHANGE;
    if ((flags & ~known) != 0 || flags == known) {
      throw ErrnoMapper.toException("rename", Errno.EINVAL, from, to);
    }
    if (from.isEmpty() || to.isEmpty()) {
      throw ErrnoMapper.toException("rename", Errno.EBUSY, from, to);
    }
    // The checks come in the kernel's order, so each failure has the errno rename(2) gives.
    requireParentDirectory(from);
    requireParentDirectory(to);
    Resolution source = require(from);
    Optional<Resolution> destination = lookup(to);
    boolean exchange = (flags & Posix.RENAME_EXCHANGE) != 0;
    if (destination.isPresent() && (flags & Posix.RENAME_NOREPLACE) != 0) {
      throw new FileAlreadyExistsException(to);
    }
    if (destination.isEmpty() && exchange) {
      throw new NoSuchFileException(to);
    }
    if (TreePath.isStrictlyBelow(to, from)) {
      throw ErrnoMapper.toException("rename (into itself)", Errno.EINVAL, from, to);
    }
    if (TreePath.isStrictlyBelow(from, to)) {
      throw exchange
          ? ErrnoMapper.toException("rename (with an ancestor)", Errno.EINVAL, from, to)
          : new DirectoryNotEmptyException(to);
    }
    if (destination.isPresent()
        && (from.equals(to) || sameFile(source.node(), destination.get().node()))) {
      return;
    }
    if (exchange) {
      exchange(from, source, to, destination.get());
      return;
    }
    if (destination.isPresent()) {
      Node target = destination.get().node();
      if (source.isDirectory() && !target.isDirectory()) {
        throw new NotDirectoryException(to);
      }
      if (!source.isDirectory() && target.isDirectory()) {
        throw new IsDirectoryException(to);
      }
      if (source.isDirectory() && !listMerged(to).isEmpty()) {
        throw new DirectoryNotEmptyException(to);
      }
    }
    boolean whiteoutAtSource = lowerHas(from);
    boolean opaqueAtTarget = source.isDirectory() && lowerHas(to);
    Path sourceUpper = detach(from);
    Path targetParent = copyUpDirectory(TreePath.parent(to));
    Path targetUpper = targetParent.resolve(TreePath.name(to));
    Optional<Stat> there = LayerFiles.lstatIfExists(targetUpper);
    if (there.isPresent() && source.isDirectory()) {
      // rename(2) puts a directory only over an empty directory: clear the whiteouts of the
      // (merged-empty) target, or drop the whiteout standing for it.
      if (there.get().isDirectory()) {
        LayerFiles.deleteChildren(targetUpper);
      } else {
        LayerFiles.delete(targetUpper);
      }
    }
    if (opaqueAtTarget) {
      LayerFiles.setOpaque(sourceUpper);
    }
    Posix.renameat2(sourceUpper, targetUpper, 0);
    if (whiteoutAtSource) {
      LayerFiles.createWhiteout(sourceUpper);
    }
  }

  private void exchange(String from, Resolution source, String to, Resolution destination)
      throws IOException {
    boolean lowerAtFrom = lowerHas(from);
    boolean lowerAtTo = lowerHas(to);
    Path a = detach(from);
    Path b = detach(to);
    if (source.isDirectory() && lowerAtTo) {
      LayerFiles.setOpaque(a);
    }
    if (destination.isDirectory() && lowerAtFrom) {
      LayerFiles.setOpaque(b);
    }
    Posix.renameat2(a, b, Posix.RENAME_EXCHANGE);
  }

  private static boolean sameFile(Node a, Node b) {
    return a.stat().dev() == b.stat().dev() && a.stat().ino() == b.stat().ino();
  }

  /**
   * Makes the entry at {@code path} self-contained in the upper, so that moving its upper path
   * moves all of it: a non-directory is copied up; a directory that merges with (or comes from)
   * a lower layer is rebuilt as an opaque upper directory holding the whole merged subtree
   * (upper files hard-linked, lower files copied) and swapped in atomically.
   */
  private Path detach(String path) throws IOException {
    Resolution entry = require(path);
    if (!entry.isDirectory()) {
      return copyUpLocked(path, true);
    }
    if (entry.isUpperOnly()) {
      return entry.node().real();
    }
    Path parentUpper = copyUpDirectory(TreePath.parent(path));
    Stat parentStat = Posix.lstat(parentUpper);
    Path target = parentUpper.resolve(TreePath.name(path));
    Path temp = newTempPath(parentUpper);
    boolean inUpper;
    try {
      copyMergedTree(path, entry, temp);
      LayerFiles.setOpaque(temp);
      // Copying may have copied the directory up itself (for hard-linked lower files).
      inUpper = LayerFiles.lstatIfExists(target).isPresent();
      if (inUpper) {
        Posix.renameat2(temp, target, Posix.RENAME_EXCHANGE);
      } else {
        Posix.renameat2(temp, target, Posix.RENAME_NOREPLACE);
      }
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(temp, e);
      throw e;
    }
    if (inUpper) {
      LayerFiles.deleteTree(temp); // the old, merged upper directory
    }
    LayerFiles.setTimes(parentUpper, parentStat);
    return target;
  }

  private void copyMergedTree(String path, Resolution dir, Path target) throws IOException {
    LayerFiles.createDirectory(target);
    // The copy goes on reporting the number the directory reported (a rename keeps st_ino), but
    // only a number that stays allocated: a lower directory's, or an origin already recorded. An
    // upper directory's own number is freed when the old tree is deleted and ext4 hands it out
    // again at once, so such a copy reports its own new number.
    Stat stat = dir.node().stat();
    if (!dir.node().isUpper()) {
      recordOrigin(target, stat.dev(), stat.ino());
    } else {
      long origin = readOrigin(dir.node().real());
      if (origin != NO_ORIGIN) {
        recordOrigin(target, upperDev, origin);
      }
    }
    for (DirEntry child : listMerged(path)) {
      String childPath = TreePath.child(path, child.name());
      Resolution entry = require(childPath);
      Path childTarget = target.resolve(child.name());
      if (entry.isDirectory()) {
        copyMergedTree(childPath, entry, childTarget);
      } else if (entry.node().isUpper()) {
        LayerFiles.createLink(childTarget, entry.node().real());
      } else if (entry.node().stat().nlink() > 1) {
        // One file with other names: copied up in place with them, then linked here.
        LayerFiles.createLink(childTarget, copyUpLocked(childPath, true));
      } else {
        LayerFiles.copyEntry(entry.node().real(), entry.node().stat(), childTarget, true);
        // its path changes: cached by the caller
        recordOrigin(childTarget, entry.node().stat().dev(), entry.node().stat().ino());
        offerCopy(entry.node().stat(), childTarget);
      }
    }
    LayerFiles.copyAttributes(dir.node().real(), dir.node().stat(), target);
  }

  private Path newTempPath(Path dir) throws IOException {
    while (true) {
      Path candidate = dir.resolve(TEMP_PREFIX + (++tempCounter));
      if (LayerFiles.lstatIfExists(candidate).isEmpty()) {
        return candidate;
      }
    }
  }

  private static void setOwnerAndMode(Path path, int uid, int gid, int mode) throws IOException {
    // chown first: it clears setuid/setgid, which the mode may ask for.
    Posix.lchown(path, uid, gid);
    Posix.chmod(path, mode & 07777);
  }

  private static void deleteAfterFailure(Path temp, Exception failure) {
    try {
      if (LayerFiles.lstatIfExists(temp).isPresent()) {
        LayerFiles.deleteTree(temp);
      }
    } catch (IOException | RuntimeException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  /** Makes one new entry at a given (temporary) path, owner and mode included. */
  @FunctionalInterface
  private interface EntryMaker {
    void make(Path at) throws IOException;
  }
}
