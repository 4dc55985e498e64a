package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The steps of a {@link WritableOverlayTree}'s mutations on its upper: copy-ups (with what keeps
 * them invisible: the records of the inode numbers the copies stand for, the ctimes they did not
 * change, the layer's other names of a hard-linked file, the copies offered to listeners), new
 * entries (files and directories made at their name, the rest and anything over a whiteout built
 * under a temporary name and renamed into place), whiteouts, and renames, which move whole merged
 * subtrees. The tree resolves and checks; this writes.
 *
 * <p>Every method runs under the tree's write lock (its caller holds it), so the fields here need
 * no lock of their own.
 */
final class UpperWriter {

  private final WritableOverlayTree tree;
  private final Path upper;
  private final OriginInodes inodes;
  private final CopyUpCtimes ctimes;
  private final CopyUpOffers offers;
  private final MadeEntries madeEntries;
  /** Per lower layer, its hard-linked files; built on the first copy-up that needs it. */
  private final Map<Integer, LayerFiles.HardLinks> hardLinks = new HashMap<>();
  private long tempCounter;
  /** Whether the upper is marked as holding origins ({@link OriginInodes#mayHoldOrigins}). */
  private boolean originsMarked;

  UpperWriter(WritableOverlayTree tree, Path upper, OriginInodes inodes, CopyUpCtimes ctimes,
              CopyUpOffers offers, MadeEntries madeEntries) {
    this.madeEntries = madeEntries;
    this.tree = tree;
    this.upper = upper;
    this.inodes = inodes;
    this.ctimes = ctimes;
    this.offers = offers;
  }

  /**
   * Records on the (not yet published) copy {@code copy} the file it stands for
   * ({@link OriginInodes#record}); before the upper's first record, marks the upper as holding
   * them, which a copy-up must not show: the root keeps the ctime it showed.
   */
  private void recordOrigin(Path copy, long dev, long ino) throws IOException {
    if (!originsMarked) {
      if (!OriginInodes.mayHoldOrigins(upper)) {
        long shown = ctimes.reported(TreePath.ROOT, CopyUpCtimes.nanos(Posix.lstat(upper).ctime()));
        OriginInodes.markOrigins(upper);
        ctimes.copiedUp(TreePath.ROOT, shown, CopyUpCtimes.nanos(Posix.lstat(upper).ctime()));
      }
      originsMarked = true;
    }
    OriginInodes.record(copy, dev, ino);
  }

  /** Forgets what is known of {@code path} and everything below it. */
  void forget(String path) {
    ctimes.forget(path);
    inodes.forget(path);
  }

  /**
   * The upper path of the regular file at {@code path}, copied up to be written (without its
   * content when {@code truncate}, which then empties it as {@code O_TRUNC} does).
   */
  Path openForWrite(String path, boolean truncate) throws IOException {
    Resolution entry = tree.require(path);
    if (entry.isDirectory()) {
      throw new IsDirectoryException(path);
    }
    if (entry.node().isSymlink()) {
      throw ErrnoMapper.toException("open", Errno.ELOOP, path, null);
    }
    boolean regular = entry.node().isRegularFile();
    Path real = copyUp(path, entry, !(truncate && regular));
    if (truncate && regular) {
      // O_TRUNC rather than ftruncate(0): it is what an open would do, times included.
      int fd = Descriptors.open(real,
          Posix.O_WRONLY | Posix.O_TRUNC | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      Descriptors.close(fd);
    }
    return real;
  }

  /**
   * The upper path of the entry at {@code path}, copied up with its parents if it is not in the
   * upper (a regular file without its content unless {@code withContent}).
   */
  Path copyUp(String path, boolean withContent) throws IOException {
    if (madeEntries.isMade(path)) {
      return upper.resolve(path); // made here, so in the upper: no lookup
    }
    return copyUp(path, tree.require(path), withContent);
  }

  /**
   * The upper path of the entry at {@code path} if this tree made it and it is not a symbolic
   * link ({@link MadeEntries}: known without a lookup), else null.
   */
  Path madeNonSymlink(String path) {
    return madeEntries.isMadeNonSymlink(path) ? upper.resolve(path) : null;
  }

  /** {@link #copyUp(String, boolean)} of an entry already resolved as {@code entry}. */
  Path copyUp(String path, Resolution entry, boolean withContent) throws IOException {
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
      Optional<Resolution> shown = tree.lookup(sibling);
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
      inodes.copied(sibling, lower);
      LayerFiles.setTimes(parentUpper, parentStat);
    }
  }

  /** The hard-linked files of lower layer {@code layerIndex}, read once (layers never change). */
  private LayerFiles.HardLinks hardLinks(int layerIndex) throws IOException {
    LayerFiles.HardLinks links = hardLinks.get(layerIndex);
    if (links == null) {
      links = LayerFiles.HardLinks.of(tree.layers().get(layerIndex));
      hardLinks.put(layerIndex, links);
    }
    return links;
  }

  /** Makes sure the directory at {@code dirPath} and its parents are in the upper. */
  Path copyUpDirectory(String dirPath) throws IOException {
    return dirPath.isEmpty() ? upper : copyUpDirectory(dirPath, tree.require(dirPath));
  }

  /** {@link #copyUpDirectory(String)} of a directory already resolved as {@code dir}. */
  Path copyUpDirectory(String dirPath, Resolution dir) throws IOException {
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
      recordOrigin(temp, lowerNode.stat().dev(), lowerNode.ino());
      Posix.renameat2(temp, target, Posix.RENAME_NOREPLACE);
    } catch (IOException | RuntimeException e) {
      deleteAfterFailure(temp, e);
      throw e;
    }
    inodes.copied(lowerNode.path(), lowerNode);
    if (!directory) {
      offers.offer(lowerNode.stat(), target);
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
   * resolves to in the current state of the tree) through {@code maker}, under a temporary name
   * renamed into place.
   */
  Path createNew(String path, boolean directory, Resolution parent, EntryMaker maker)
      throws IOException {
    return createNew(path, directory, parent, maker, false);
  }

  /**
   * {@link #createNew(String, boolean, Resolution, EntryMaker)}; with {@code inPlace}, where no
   * whiteout is in the way, {@code maker} makes the entry at its name directly (no temporary
   * name, no rename), which it may only do if it leaves nothing behind when it fails and never an
   * entry with more rights than asked while it works (see {@link LayerFiles#createOwnedFile}).
   * Over a whiteout the entry is still made under a temporary name that replaces it atomically.
   * An in-place {@code maker} must fail with {@link FileAlreadyExistsException} when something
   * is at its path (as {@code open(O_EXCL)} and {@code mkdir} do).
   */
  Path createNew(String path, boolean directory, Resolution parent, EntryMaker maker,
                 boolean inPlace) throws IOException {
    Path parentUpper = copyUpDirectory(TreePath.parent(path), parent);
    Path target = parentUpper.resolve(TreePath.name(path));
    if (inPlace) {
      // Made at its name without looking first: the caller found nothing in the union there, so
      // the upper has nothing (the common case) or a whiteout, on which the maker fails with
      // EEXIST (and leaves nothing behind); then it is looked at and the whiteout replaced below.
      // One lstat per create fewer.
      try {
        maker.make(target);
        made(path, directory);
        return target;
      } catch (FileAlreadyExistsException inTheWay) {
        // a whiteout (or what the caller did not see): looked at below
      }
    }
    Optional<Stat> there = LayerFiles.lstatIfExists(target);
    if (there.isPresent() && !OverlayFormat.isWhiteout(there.get())) {
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
    made(path, directory);
    return target;
  }

  /**
   * Records the new entry at {@code path}: a new inode without xattrs ({@link MadeEntries}).
   * {@link WritableOverlayTree#link} corrects both for a new name of an existing file.
   */
  private void made(String path, boolean directory) {
    if (directory) {
      forget(path);
    } else {
      inodes.made(path);
    }
    madeEntries.made(path, false); // a symlink() corrects this
  }

  /**
   * {@code open(O_CREAT)} of the regular file {@code path}, {@code O_EXCL} if {@code exclusive}
   * (see {@link WritableOverlayTree#createAndOpen}): a file made here comes with the descriptor
   * that made it ({@link LayerFiles#createOwnedFile}). With {@code parentGroup}, a setgid
   * parent's group is the file's, as {@code open(2)} gives it.
   */
  CreatedFile createFile(String path, int mode, int uid, int gid, boolean exclusive,
                         boolean parentGroup) throws IOException {
    Resolution parent = tree.requireParentDirectory(path);
    if (tree.lookup(path).isPresent()) {
      if (exclusive) {
        throw new FileAlreadyExistsException(path);
      }
      return new CreatedFile(openForWrite(path, false), -1);
    }
    boolean setgidParent = (parent.node().stat().mode() & Posix.S_ISGID) != 0;
    int group = setgidParent && parentGroup ? parent.node().stat().gid() : gid;
    int[] fd = {-1};
    try {
      Path real = createNew(path, false, parent, at -> fd[0] =
          LayerFiles.createOwnedFile(at, mode, uid, group, setgidParent), true);
      return new CreatedFile(real, fd[0]);
    } catch (IOException | RuntimeException e) {
      if (fd[0] >= 0) {
        Descriptors.close(fd[0]); // made under a temporary name that could not replace a whiteout
      }
      throw e;
    }
  }

  /** Atomically replaces the upper entry {@code target} by a whiteout, then deletes the entry. */
  void replaceWithWhiteout(Path parentUpper, Path target) throws IOException {
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

  /**
   * {@code rename(2)} in the union with {@code renameat2(2)} flags (see
   * {@link WritableOverlayTree#rename}); the caller forgets both paths afterwards, failed or not.
   */
  void rename(String from, String to, int flags) throws IOException {
    int known = Posix.RENAME_NOREPLACE | Posix.RENAME_EXCHANGE;
    if ((flags & ~known) != 0 || flags == known) {
      throw ErrnoMapper.toException("rename", Errno.EINVAL, from, to);
    }
    if (from.isEmpty() || to.isEmpty()) {
      throw ErrnoMapper.toException("rename", Errno.EBUSY, from, to);
    }
    // The checks come in the kernel's order, so each failure has the errno rename(2) gives.
    tree.requireParentDirectory(from);
    tree.requireParentDirectory(to);
    Resolution source = tree.require(from);
    Optional<Resolution> destination = tree.lookup(to);
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
      if (source.isDirectory() && !tree.listMerged(to).isEmpty()) {
        throw new DirectoryNotEmptyException(to);
      }
    }
    boolean whiteoutAtSource = tree.lowerHas(from);
    boolean opaqueAtTarget = source.isDirectory() && tree.lowerHas(to);
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
    boolean lowerAtFrom = tree.lowerHas(from);
    boolean lowerAtTo = tree.lowerHas(to);
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
    Resolution entry = tree.require(path);
    if (!entry.isDirectory()) {
      return copyUp(path, true);
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
    Node node = dir.node();
    if (!node.isUpper() || node.ino() != node.stat().ino()) {
      recordOrigin(target, node.stat().dev(), node.ino());
    }
    for (Listed child : tree.listMerged(path)) {
      String childPath = TreePath.child(path, child.name());
      Resolution entry = tree.require(childPath);
      Path childTarget = target.resolve(child.name());
      if (entry.isDirectory()) {
        copyMergedTree(childPath, entry, childTarget);
      } else if (entry.node().isUpper()) {
        LayerFiles.createLink(childTarget, entry.node().real());
      } else if (entry.node().stat().nlink() > 1) {
        // One file with other names: copied up in place with them, then linked here.
        LayerFiles.createLink(childTarget, copyUp(childPath, true));
      } else {
        LayerFiles.copyEntry(entry.node().real(), entry.node().stat(), childTarget, true);
        // its path changes: forgotten by the caller
        recordOrigin(childTarget, entry.node().stat().dev(), entry.node().ino());
        offers.offer(entry.node().stat(), childTarget);
      }
    }
    LayerFiles.copyAttributes(dir.node().real(), dir.node().stat(), target);
  }

  private Path newTempPath(Path dir) throws IOException {
    while (true) {
      Path candidate = dir.resolve(WritableOverlayTree.TEMP_PREFIX + (++tempCounter));
      if (LayerFiles.lstatIfExists(candidate).isEmpty()) {
        return candidate;
      }
    }
  }

  static void setOwnerAndMode(Path path, int uid, int gid, int mode) throws IOException {
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
  interface EntryMaker {
    void make(Path at) throws IOException;
  }
}
