package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

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
 * <p>The upper's attributes are not cached (they change): each lookup costs one {@code lstat} in
 * the upper, of the path's last component; the upper directories on the way are remembered once
 * seen ({@link UpperDirectories}) until an rmdir, unlink or rename of them or a parent, and the
 * lower layers' resolutions come from the cache of the read-only union. Whether an upper directory
 * that merges with a lower one is opaque is read once and remembered until a rename, rmdir or
 * mkdir.
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
  /** The inode numbers the upper's entries report (their origins'). */
  private final OriginInodes inodes;
  private final CopyUpCtimes ctimes = new CopyUpCtimes();
  private final CopyUpOffers offers = new CopyUpOffers();
  /** The steps of the mutations on the upper. */
  private final UpperWriter writer;
  /** Upper directories merged with a lower one: whether each is opaque. */
  private final OpaqueUpperDirectories opaqueUpperDirectories = new OpaqueUpperDirectories();
  /** The tree paths known to be upper directories. */
  private final UpperDirectories upperDirectories = new UpperDirectories();
  /** Resolution with the upper on top. */
  private final MergedLookup merged;
  /** Entries made here without {@code security.capability}: asked without a system call. */
  private final MadeEntries madeEntries = new MadeEntries();

  /** Adds {@code listener} unless an equal one is registered. */
  public void addCopyUpListener(CopyUpListener listener) {
    offers.add(listener);
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
      this.inodes = new OriginInodes(Posix.lstat(upper).dev());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stat upper " + upper, e);
    }
    this.writer = new UpperWriter(this, upper, inodes, ctimes, offers, madeEntries);
    this.merged = new MergedLookup(this, upper, inodes, opaqueUpperDirectories,
        upperDirectories);
  }

  @Override
  Instant shownCtime(String path, Node node, Instant real) {
    return node.isUpper() ? ctimes.shown(path, real) : real;
  }

  @Override
  long listedIno(String dirPath, Listed entry) throws IOException {
    return entry.layerIndex() == Node.UPPER
        ? inodes.ofUpper(TreePath.child(dirPath, entry.name()), entry.real(), entry.stat())
        : super.listedIno(dirPath, entry);
  }

  @Override
  boolean hasUpper() {
    return true;
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
    return mutate(() -> writer.copyUp(path, true));
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
    return mutate(() -> writer.openForWrite(path, truncate));
  }

  /**
   * Creates a regular file (or, unless {@code exclusive}, opens an existing one for writing, as
   * {@code open(O_CREAT)} does) and returns its upper path.
   * @param mode permission bits (07777); the umask is the caller's business
   * @throws FileAlreadyExistsException if {@code exclusive} and something is there
   * @throws IsDirectoryException       if a directory is there
   * @throws NoSuchFileException        if the parent is missing
   * @throws NotDirectoryException      if the parent is not a directory
   */
  public Path createFile(String path, int mode, int uid, int gid, boolean exclusive)
      throws IOException {
    TreePath.check(path);
    CreatedFile created = mutate(() -> writer.createFile(path, mode, uid, gid, exclusive, false));
    if (created.made()) {
      Descriptors.close(created.fd());
    }
    return created.real();
  }

  /**
   * {@link #createFile} as {@code open(O_CREAT)} does it: a setgid parent's group instead of
   * {@code gid}, and a new file comes with the descriptor that made it (read-write).
   */
  public CreatedFile createAndOpen(String path, int mode, int uid, int gid, boolean exclusive)
      throws IOException {
    TreePath.check(path);
    return mutate(() -> writer.createFile(path, mode, uid, gid, exclusive, true));
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
      try {
        return writer.createNew(path, true, parent,
            at -> LayerFiles.createOwnedDirectory(at, mode, uid, gid), true);
      } finally {
        opaqueUpperDirectories.forgetAll(); // over a whiteout it is opaque
      }
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
          if (rdev == OverlayFormat.WHITEOUT_RDEV) {
            throw ErrnoMapper.toException("mknod (a whiteout)", Errno.EPERM, path, null);
          }
        }
        case Posix.S_IFDIR -> throw ErrnoMapper.toException("mknod", Errno.EPERM, path, null);
        default -> throw ErrnoMapper.toException("mknod", Errno.EINVAL, path, null);
      }
      Resolution parent = requireAbsent(path);
      return writer.createNew(path, false, parent, temp -> {
        Posix.mknod(temp, type | (mode & 07777), rdev);
        UpperWriter.setOwnerAndMode(temp, uid, gid, mode);
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
      Path made = writer.createNew(path, false, parent, temp -> {
        Posix.symlink(target, temp);
        Posix.lchown(temp, uid, gid);
      });
      madeEntries.made(path, true); // chmod of it is EOPNOTSUPP: looked up
      return made;
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
      madeEntries.forget(existing); // its xattrs can now be set through newPath
      Path sourceUpper = writer.copyUp(existing, true);
      // Resolved again: the copy-up of the source may have copied up this parent too.
      Path made = writer.createNew(newPath, false, require(TreePath.parent(newPath)),
          temp -> LayerFiles.createLink(temp, sourceUpper));
      madeEntries.forget(newPath); // not a new inode: an existing file's other name
      inodes.linked(existing, newPath);
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
    unlink(path, null);
  }

  /** {@link #unlink(String)}, showing {@code beforeRemoval} (unless null) what it removes. */
  public void unlink(String path, BeforeRemoval beforeRemoval) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Resolution entry = require(path);
      if (entry.isDirectory()) {
        throw new IsDirectoryException(path);
      }
      if (beforeRemoval != null) {
        beforeRemoval.removing(entry.node());
      }
      if (!entry.node().isUpper() && entry.node().stat().nlink() > 1) {
        // The file's other names stay: copied up with this one (see copyUpLocked), they then
        // show the link count going down, as one file's names do.
        writer.copyUp(path, true);
        entry = require(path);
      }
      String parentPath = TreePath.parent(path);
      Resolution parent = require(parentPath); // once: the checks and the copy-up share it
      boolean lowerHasIt = lowerHas(path, parent);
      Path parentUpper = writer.copyUpDirectory(parentPath, parent);
      Path target = parentUpper.resolve(TreePath.name(path));
      if (!entry.node().isUpper()) {
        LayerFiles.createWhiteout(target);
      } else if (lowerHasIt) {
        writer.replaceWithWhiteout(parentUpper, target);
      } else {
        LayerFiles.delete(target);
      }
      forget(path);
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
      String parentPath = TreePath.parent(path);
      Resolution parent = require(parentPath); // once: the checks and the copy-up share it
      boolean lowerHasIt = lowerHas(path, parent);
      Path parentUpper = writer.copyUpDirectory(parentPath, parent);
      Path target = parentUpper.resolve(TreePath.name(path));
      opaqueUpperDirectories.forgetAll();
      try {
        if (!entry.node().isUpper()) {
          LayerFiles.createWhiteout(target);
        } else if (lowerHasIt) {
          writer.replaceWithWhiteout(parentUpper, target);
        } else {
          LayerFiles.deleteTree(target);
        }
      } finally {
        upperDirectories.forget(path); // gone, or half gone after a failure: looked at again
        madeEntries.forget(path);
      }
      forget(path);
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
      opaqueUpperDirectories.forgetAll();
      try {
        writer.rename(from, to, flags);
      } finally {
        forget(from);
        forget(to);
        opaqueUpperDirectories.forgetAll(); // directories moved, rebuilt or made opaque
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
      Path real = writer.madeNonSymlink(path);
      if (real == null) {
        Resolution entry = require(path);
        if (entry.node().isSymlink()) {
          throw ErrnoMapper.toException("chmod", Errno.EOPNOTSUPP, path, null);
        }
        real = writer.copyUp(path, entry, true);
      }
      Posix.chmod(real, mode & 07777);
      return null;
    });
  }

  /** Changes owner and group of the entry itself; -1 leaves one unchanged. */
  public void chown(String path, int uid, int gid) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Posix.lchown(writer.copyUp(path, true), uid, gid);
      return null;
    });
  }

  /** Sets access and modification times of the entry itself (null leaves one unchanged). */
  public void utimens(String path, Instant atime, Instant mtime) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      Posix.utimens(writer.copyUp(path, true), atime, mtime, true);
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
      Path real = writer.copyUp(path, entry, size > 0);
      int fd = Descriptors.open(real, Posix.O_WRONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      int rc = Descriptors.ftruncate(fd, size);
      Descriptors.close(fd);
      if (rc < 0) {
        throw ErrnoMapper.toException("ftruncate", -rc, path, null);
      }
      return null;
    });
  }

  /**
   * Sets an extended attribute ({@code flags}: 0, {@code Xattrs.XATTR_CREATE} or
   * {@code Xattrs.XATTR_REPLACE}).
   *
   * @throws java.nio.file.AccessDeniedException for overlay's own attributes ({@code EPERM})
   */
  public void setXattr(String path, String name, byte[] value, int flags) throws IOException {
    TreePath.check(path);
    mutate(() -> {
      if (OverlayFormat.isPrivateXattr(name)) {
        throw ErrnoMapper.toException("setxattr(" + name + ")", Errno.EPERM, path, null);
      }
      madeEntries.forget(path);
      Xattrs.lsetxattr(writer.copyUp(path, true), name, value, flags);
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
      if (OverlayFormat.isPrivateXattr(name)) {
        throw ErrnoMapper.toException("removexattr(" + name + ")", Errno.EPERM, path, null);
      }
      // Copied up even when the attribute is missing: which errno that gives (ENODATA, or
      // EPERM for user.* on a special file) is the kernel's to say.
      Xattrs.lremovexattr(writer.copyUp(path, true), name);
      return null;
    });
  }

  /** {@code security.capability} of an entry made here is known missing ({@link MadeEntries}). */
  @Override
  public Optional<byte[]> getXattr(String path, String name) throws IOException {
    // Only checked paths are ever recorded: any other one goes on to be checked below.
    if (MadeEntries.CAPABILITY.equals(name) && path != null
        && readLocked(() -> madeEntries.lacksCapability(path))) {
      return Optional.empty();
    }
    return super.getXattr(path, name);
  }

  // ---- resolution with the upper on top --------------------------------------------------------

  /** The read-only layers' resolution (cached) with the upper on top: see {@link MergedLookup}. */
  @Override
  Optional<Resolution> lookup(String path) {
    try {
      return merged.lookup(path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve \"" + path + "\" over " + upper, e);
    }
  }

  /**
   * Whether a lower layer has something at {@code path} that the union would show if the upper
   * had nothing there: then removing or moving the name needs a whiteout, and a directory put
   * there must be opaque.
   */
  boolean lowerHas(String path) {
    Optional<Resolution> parent = lookup(TreePath.parent(path));
    return parent.isPresent() && lowerHas(path, parent.get());
  }

  /** {@link #lowerHas(String)} where {@code parent} is the current resolution of its parent. */
  private boolean lowerHas(String path, Resolution parent) {
    return parent.hasLowerBranches() && lookupLayers(path).isPresent();
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
    List<CopyUpOffers.CopiedUp> copies;
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
      copies = offers.takePending();
      lock.writeLock().unlock();
      offers.deliver(copies, done); // outside the lock: listeners never run under it
    }
  }

  // ---- steps of the mutations; callers hold the write lock --------------------------------------

  /** Forgets what is known of {@code path} and below: it was removed, moved or replaced. */
  private void forget(String path) {
    writer.forget(path);
    upperDirectories.forget(path);
    madeEntries.forget(path);
  }

  Resolution require(String path) throws IOException {
    Optional<Resolution> entry = lookup(path);
    if (entry.isPresent()) {
      return entry.get();
    }
    throw missing(path);
  }

  /** The exception for a missing {@code path}: ENOTDIR if an ancestor is not a directory. */
  IOException missing(String path) {
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
  Resolution requireParentDirectory(String path) throws IOException {
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
}
