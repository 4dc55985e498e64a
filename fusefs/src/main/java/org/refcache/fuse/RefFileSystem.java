package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import jnr.ffi.Pointer;
import org.refcache.core.overlay.DirEntry;
import org.refcache.core.overlay.IsDirectoryException;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;
import org.slf4j.LoggerFactory;

/**
 * The view: every operation of {@link ViewOperations}, each one thin. It takes a use of the
 * place's ref ({@link RefTrees}), delegates to the ref's overlay tree or to {@link FileHandles},
 * and throws what goes wrong; transports turn that into errno ({@link ViewFailures}).
 *
 * <p>Mutations need a writable tree; {@link #writable} is the one place that answers EROFS, for
 * read-only refs, frozen (committed) ones and the mount's own directories alike.
 *
 * <p>What a name shows and how long the kernel may cache it is {@link EntryLookup}'s to say.
 */
final class RefFileSystem implements ViewOperations {

  private static final int W_OK = 2;

  private final RefTreeSource source;
  private final RefTrees trees;
  private final FileHandles handles;
  private final UnlinkedFiles unlinked;
  private final Path capacityFallback;
  private final EntryLookup entries;

  /**
   * @param capacityFallback a directory whose filesystem {@code statfs} reports for the mount's own
   *                         directories (the mountpoint's parent: the state root by default)
   * @param entryTimeout     how long names (and missing names inside refs) may be cached
   * @param attrTimeout      how long attributes may be cached
   */
  RefFileSystem(RefTreeSource source, RefTrees trees, FileHandles handles, UnlinkedFiles unlinked,
                Path capacityFallback, Duration entryTimeout, Duration attrTimeout) {
    this.source = source;
    this.trees = trees;
    this.handles = handles;
    this.unlinked = unlinked;
    this.capacityFallback = capacityFallback;
    this.entries = new EntryLookup(source, trees, unlinked, entryTimeout, attrTimeout);
  }

  /** A ref appeared, went or changed: {@code /refs} shows a later mtime (see EntryLookup). */
  void refsChanged() {
    entries.refsChanged();
  }

  /** Whether the root has been looked up: the mount is up and served (the readiness probe). */
  boolean rootAnswered() {
    return entries.rootAnswered();
  }

  // ---- attributes and names ----------------------------------------------------------------------

  @Override
  public Entry lookup(MountPath at, FileAttributes into) throws IOException {
    return entries.lookup(at, into);
  }

  @Override
  public Entry attributes(long handle, FileAttributes into) throws IOException {
    handles.attributes(handle, into);
    return entries.found(into, false);
  }

  @Override
  public String readlink(MountPath at) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() == null) {
        throw failure(Errno.EINVAL, at);
      }
      Node node = t.node();
      if (!node.isSymlink()) {
        throw failure(Errno.EINVAL, at);
      }
      // Byte for byte: a Path would normalize the target ("a//b/" into "a/b").
      return Posix.readlink(node.real());
    }
  }

  @Override
  public void access(MountPath at, int mask) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() != null) {
        t.node();
      }
      if ((mask & W_OK) != 0) {
        writable(t);
      }
    }
  }

  @Override
  public StatVfs capacity(MountPath at) throws IOException {
    try (Target t = target(at)) {
      Path backing = capacityFallback;
      if (t.ref() != null) {
        OverlayTree tree = t.ref().tree();
        if (tree instanceof WritableOverlayTree writable) {
          backing = writable.upper();
        } else if (!tree.layers().isEmpty()) {
          backing = tree.layers().get(0);
        }
      }
      return Posix.statvfs(backing);
    }
  }

  // ---- directories ---------------------------------------------------------------------------------

  @Override
  public boolean openDirectory(MountPath at) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() != null && !t.node().isDirectory()) {
        throw failure(Errno.ENOTDIR, at);
      }
    }
    return entries.unchanging(at);
  }

  /**
   * Lists a whole directory in one call. Entries carry the {@code st_ino} their tree reports (a
   * copied-up one its original's) and their type, so {@code d_ino} and {@code d_type} are right
   * without a lookup.
   */
  @Override
  public void list(MountPath at, DirectorySink into) throws IOException {
    try (Target t = target(at)) {
      into.add(".", DirectorySink.UNKNOWN, 0);
      into.add("..", DirectorySink.UNKNOWN, 0);
      switch (at.kind()) {
        case ROOT -> into.add(MountPath.REFS_NAME, DirectorySink.UNKNOWN, 0);
        case REFS -> {
          for (String id : source.refIds()) {
            if (!into.add(id, DirectorySink.UNKNOWN, 0)) {
              break;
            }
          }
        }
        default -> listTree(t, into);
      }
    }
  }

  @Override
  public void readAhead(MountPath at) {
    if (!entries.unchanging(at)) {
      return; // a writable tree's listing is made when asked, as it is then
    }
    try (Target t = target(at)) {
      if (t.ref().writableOrNull() != null) {
        return; // a committed tree with an upper keeps no listing: it would be made twice
      }
      t.ref().tree().list(t.relative()); // kept by the tree for the READDIRPLUS to come
    } catch (IOException | RuntimeException e) {
      // The walk's own listing meets the same failure and answers it.
      LoggerFactory.getLogger(DirectoryReadAhead.class).debug("reading {} ahead failed: {}",
          org.refcache.posix.Printable.text(at.toString()), org.refcache.posix.Printable.line(e.toString()));
    }
  }

  private static void listTree(Target t, DirectorySink into) throws IOException {
    // What a lookup would answer, where the listing knows it: only of a tree that never changes,
    // whose entries' attributes the kernel may keep for as long as the ref exists.
    boolean unchanging = t.ref().immutable();
    for (DirEntry entry : t.ref().tree().list(t.relative())) {
      // The inode number and the type, both known from the listing: no lookup per entry (a
      // lookup fills the rest when the kernel asks).
      if (!into.add(entry.name(), entry.ino(), entry.type(), unchanging ? entry.shown() : null)) {
        break;
      }
    }
  }

  @Override
  public void syncDirectory(MountPath at) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() == null || !t.node().isUpper()) {
        return; // nothing of a read-only layer or of the mount's own directories is dirty
      }
      String real = t.node().real().toString();
      int fd = Descriptors.openRaw(real, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC, 0);
      if (fd < 0) {
        throw ErrnoMapper.toException("open", -fd, real, null);
      }
      int rc = Descriptors.fsync(fd);
      Descriptors.close(fd);
      if (rc < 0) {
        throw ErrnoMapper.toException("fsync", -rc, real, null);
      }
    }
  }

  @Override
  public void mkdir(MountPath at, int mode, Caller caller) throws IOException {
    try (Target t = newTarget(at)) {
      WritableOverlayTree tree = writable(t);
      Owner owner = owner(t, caller);
      int perms = mode & 07777;
      if (owner.inheritsGroup()) {
        perms |= Posix.S_ISGID; // BSD group semantics, as ext4: setgid directories propagate
      }
      tree.mkdir(t.relative(), perms, owner.uid(), owner.gid());
    }
  }

  @Override
  public void rmdir(MountPath at) throws IOException {
    try (Target t = target(at)) {
      writable(t).rmdir(t.relative());
    }
  }

  // ---- other names -------------------------------------------------------------------------------------

  @Override
  public void mknod(MountPath at, int mode, long rdev, Caller caller) throws IOException {
    try (Target t = newTarget(at)) {
      WritableOverlayTree tree = writable(t);
      Owner owner = owner(t, caller);
      tree.mknod(t.relative(), mode, rdev, owner.uid(), owner.gid());
    }
  }

  @Override
  public void symlink(MountPath at, String target, Caller caller) throws IOException {
    try (Target t = newTarget(at)) {
      WritableOverlayTree tree = writable(t);
      Owner owner = owner(t, caller);
      tree.symlink(target, t.relative(), owner.uid(), owner.gid());
    }
  }

  @Override
  public void unlink(MountPath at) throws IOException {
    try (Target t = target(at)) {
      writable(t).unlink(t.relative());
    }
  }

  @Override
  public MountPath unlinkOpen(MountPath at) throws IOException {
    try (Target t = target(at)) {
      WritableOverlayTree tree = writable(t);
      String relative = t.relative();
      // The tree's own resolution of the entry (no lookup here): the file is kept before its
      // name goes; a directory fails in the tree (EISDIR) before that.
      int[] fd = {-1};
      Node[] removed = new Node[1];
      try {
        tree.unlink(relative, node -> {
          fd[0] = openKept(node);
          removed[0] = node;
        });
      } catch (IOException | RuntimeException e) {
        if (fd[0] >= 0) {
          Descriptors.close(fd[0]);
        }
        throw e;
      }
      return unlinked.keep(at.refId(), fd[0], !removed[0].isUpper(), removed[0].ino());
    }
  }

  /** An {@code O_PATH} descriptor of {@code node}'s real file, kept after its name goes. */
  private static int openKept(Node node) throws IOException {
    String real = node.real().toString();
    int fd = Descriptors.openRaw(real, UnlinkedFiles.O_PATH | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    if (fd < 0) {
      throw ErrnoMapper.toException("open(O_PATH)", -fd, real, null);
    }
    return fd;
  }

  @Override
  public void rename(MountPath from, MountPath to, int flags) throws IOException {
    try (Target t = target(from)) {
      WritableOverlayTree tree = writable(t);
      String toRelative = sameRef(t, to);
      tree.rename(t.relative(), toRelative, flags);
    }
  }

  @Override
  public MountPath renameOverOpen(MountPath from, MountPath to) throws IOException {
    try (Target t = target(from)) {
      WritableOverlayTree tree = writable(t);
      String toRelative = sameRef(t, to);
      String fromRelative = t.relative();
      Optional<Node> replaced = tree.resolve(toRelative);
      if (replaced.isPresent() && !replaced.get().isDirectory()) {
        return keepingUnlinked(from.refId(), replaced.get(),
            () -> tree.rename(fromRelative, toRelative, 0));
      }
      tree.rename(fromRelative, toRelative, 0);
      return null;
    }
  }

  @Override
  public void forgetUnlinked(MountPath at) {
    unlinked.forget(at);
  }

  /** A change of a tree, for {@link #keepingUnlinked}. */
  private interface TreeChange {
    void run() throws IOException;
  }

  /**
   * Runs {@code change}, which takes {@code node}'s file out of ref {@code refId}'s tree, keeping
   * the file reachable through an {@code O_PATH} descriptor ({@link UnlinkedFiles}); if the change
   * fails, nothing is kept and nothing changed.
   *
   * @return where the file is reachable from now on
   */
  private MountPath keepingUnlinked(String refId, Node node, TreeChange change)
      throws IOException {
    int fd = openKept(node);
    try {
      change.run();
    } catch (IOException | RuntimeException e) {
      Descriptors.close(fd);
      throw e;
    }
    return unlinked.keep(refId, fd, !node.isUpper(), node.ino());
  }

  @Override
  public void link(MountPath existing, MountPath at) throws IOException {
    try (Target t = target(existing)) {
      WritableOverlayTree tree = writable(t);
      tree.link(t.relative(), sameRef(t, at));
    }
  }

  // ---- attributes ------------------------------------------------------------------------------------------

  @Override
  public void chmod(MountPath at, int mode) throws IOException {
    try (Target t = target(at)) {
      int fd = unlinkedDescriptor(at);
      if (fd >= 0) {
        writableUnlinked(t, at);
        Posix.chmod(Path.of(UnlinkedFiles.procPath(fd)), mode & 07777);
        return;
      }
      writable(t).chmod(t.relative(), mode & 07777);
    }
  }

  @Override
  public void chown(MountPath at, int uid, int gid) throws IOException {
    try (Target t = target(at)) {
      writable(t).chown(t.relative(), uid, gid);
    }
  }

  @Override
  public void utimens(MountPath at, Instant atime, Instant mtime) throws IOException {
    try (Target t = target(at)) {
      int fd = unlinkedDescriptor(at);
      if (fd >= 0) {
        writableUnlinked(t, at);
        Posix.utimens(Path.of(UnlinkedFiles.procPath(fd)), atime, mtime, false);
        return;
      }
      writable(t).utimens(t.relative(), atime, mtime);
    }
  }

  @Override
  public void truncate(MountPath at, long size) throws IOException {
    try (Target t = target(at)) {
      writable(t).truncate(t.relative(), size);
    }
  }

  private int unlinkedDescriptor(MountPath at) {
    return at.kind() == MountPath.Kind.UNLINKED ? unlinked.descriptor(at) : -1;
  }

  // ---- extended attributes ---------------------------------------------------------------------------------

  @Override
  public Optional<byte[]> getxattr(MountPath at, String name) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() == null) {
        return Optional.empty();
      }
      return t.ref().tree().getXattr(t.relative(), name);
    }
  }

  @Override
  public List<String> listxattr(MountPath at) throws IOException {
    try (Target t = target(at)) {
      if (t.ref() == null) {
        return List.of();
      }
      return t.ref().tree().listXattr(t.relative());
    }
  }

  @Override
  public void setxattr(MountPath at, String name, byte[] value, int flags) throws IOException {
    try (Target t = target(at)) {
      writable(t).setXattr(t.relative(), name, value, flags);
    }
  }

  @Override
  public void removexattr(MountPath at, String name) throws IOException {
    try (Target t = target(at)) {
      writable(t).removeXattr(t.relative(), name);
    }
  }

  // ---- open files ----------------------------------------------------------------------------------------------

  /**
   * Opens a file. Files of trees that can never change keep the kernel's page cache across opens
   * ({@code keep_cache}); files of writable trees do not, so that a change through one hard link
   * is seen at the next open of another (each link is its own kernel inode under libfuse 2.9).
   */
  @Override
  public Opened open(MountPath at, int flags) throws IOException {
    try (Target t = openTarget(at)) {
      if (at.kind() == MountPath.Kind.UNLINKED) {
        return new Opened(openUnlinked(t, flags), false, -1);
      }
      if (t.ref() == null) {
        throw new IsDirectoryException(at.toString());
      }
      WritableOverlayTree tree = FileHandles.forWriting(flags) ? writable(t) : null;
      long handle = handles.open(t.ref(), tree, t.relative(), flags);
      return new Opened(handle, t.ref().immutable(), handles.passthroughDescriptor(handle));
    }
  }

  /**
   * Opens again a file kept after its unlink (a node read or written by node, whose open took
   * no request): through the kept descriptor. A lower layer's file is never written.
   */
  private long openUnlinked(Target t, int flags) throws IOException {
    int kept = unlinked.descriptor(t.path());
    if (kept < 0) {
      throw new NoSuchFileException(t.path().toString());
    }
    boolean writing = FileHandles.forWriting(flags);
    if (writing && (unlinked.isLower(t.path()) || t.ref().writableOrNull() == null)) {
      throw new ReadOnlyFileSystemException();
    }
    return handles.openKept(t.ref(), Path.of(UnlinkedFiles.procPath(kept)), flags, writing);
  }

  @Override
  public Opened create(MountPath at, int mode, int flags, Caller caller) throws IOException {
    try (Target t = newTarget(at)) {
      WritableOverlayTree tree = writable(t);
      // The group of a setgid parent is the tree's to give (it has the parent at hand: no
      // lookup of it here).
      long handle = handles.create(t.ref(), tree, t.relative(), mode & 07777, caller.uid(),
          caller.gid(), flags);
      return new Opened(handle, false, -1, handles.readsAndWrites(handle));
    }
  }

  @Override
  public int read(long handle, Pointer buffer, int size, long offset) throws IOException {
    return checked("read", handles.read(handle, buffer, size, offset), handle);
  }

  @Override
  public int write(long handle, Pointer buffer, int size, long offset) throws IOException {
    return checked("write", handles.write(handle, buffer, size, offset), handle);
  }

  @Override
  public void truncate(long handle, long size) throws IOException {
    checked("ftruncate", handles.truncate(handle, size), handle);
  }

  @Override
  public void dropSetIds(long handle) throws IOException {
    handles.dropSetIds(handle);
  }

  @Override
  public void fallocate(long handle, int mode, long offset, long length) throws IOException {
    checked("fallocate", handles.fallocate(handle, mode, offset, length), handle);
  }

  @Override
  public void sync(long handle, boolean dataOnly) throws IOException {
    checked("fsync", handles.fsync(handle, dataOnly), handle);
  }

  @Override
  public void release(long handle) throws IOException {
    handles.release(handle);
  }

  /** {@code result} of a call on open file {@code handle} if it is not -errno. */
  private static int checked(String call, int result, long handle) throws IOException {
    if (result < 0) {
      throw ErrnoMapper.toException(call, -result, "fh " + handle, null);
    }
    return result;
  }

  // ---- plumbing --------------------------------------------------------------------------------------------------

  /**
   * A place with what answers for it; for a place in a ref, one use of the ref held until
   * {@link #close()}.
   */
  private record Target(MountPath path, RefTree ref) implements AutoCloseable {

    /** The path in the ref's tree; an unlinked file has none. */
    String relative() throws NoSuchFileException {
      if (path.relative() == null) {
        throw new NoSuchFileException(path.toString());
      }
      return path.relative();
    }

    /** The node at a path in a ref. */
    Node node() throws IOException {
      if (ref == null) {
        throw new IsDirectoryException(path.toString());
      }
      String relative = relative();
      return ref.tree().resolve(relative).orElseThrow(() -> new NoSuchFileException(relative));
    }

    @Override
    public void close() {
      if (ref != null) {
        ref.close();
      }
    }
  }

  /**
   * The target of an operation that creates {@code at}: as {@link #target}, but a new name in the
   * mount's own directories ({@code /x}, {@code /refs/<unknown>}) is EROFS, not ENOENT.
   */
  private Target newTarget(MountPath at) throws IOException {
    if (at.kind() == MountPath.Kind.NONE || at.isRefRoot()) {
      try {
        return target(at);
      } catch (NoSuchFileException e) {
        throw new ReadOnlyFileSystemException();
      }
    }
    return target(at);
  }

  /**
   * As {@link #target}, but through the tree kept for the files the kernel holds
   * ({@link RefTrees#keepForHeldFiles}), also once the ref is gone: only the kernel opens files by
   * node, and only files it holds.
   */
  private Target openTarget(MountPath at) throws IOException {
    if (at.kind() == MountPath.Kind.REF || at.kind() == MountPath.Kind.UNLINKED) {
      if (at.nameTooLong()) {
        throw failure(Errno.ENAMETOOLONG, at);
      }
      RefTree ref = trees.acquireKept(at.refId())
          .orElseThrow(() -> new NoSuchFileException(at.toString()));
      return new Target(at, ref);
    }
    return target(at);
  }

  private Target target(MountPath at) throws IOException {
    switch (at.kind()) {
      case NONE -> throw new NoSuchFileException(at.toString());
      case ROOT, REFS -> {
        return new Target(at, null);
      }
      default -> {
        if (at.nameTooLong()) {
          throw failure(Errno.ENAMETOOLONG, at);
        }
        RefTree ref = trees.acquire(at.refId())
            .orElseThrow(() -> new NoSuchFileException(at.toString()));
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
   * Checks that an unlinked open file may change: its tree is writable, and it is a file of the
   * upper, not of a lower layer, which must never change (it cannot be copied up any more: it has
   * no name).
   */
  private void writableUnlinked(Target t, MountPath at) {
    writable(t);
    if (unlinked.isLower(at)) {
      throw new ReadOnlyFileSystemException();
    }
  }

  /**
   * The path in {@code t}'s ref that the second place of a rename or link names. Both must be in
   * the same ref: another ref is another filesystem to the caller (EXDEV), the mount's own
   * directories are read-only.
   */
  private static String sameRef(Target t, MountPath other) throws IOException {
    if (other.kind() != MountPath.Kind.REF) {
      throw new ReadOnlyFileSystemException(); // a new name in the mount's own directories
    }
    if (!other.refId().equals(t.path().refId())) {
      throw ErrnoMapper.toException("rename/link", Errno.EXDEV, t.path().toString(),
          other.toString());
    }
    if (other.nameTooLong()) {
      throw failure(Errno.ENAMETOOLONG, other);
    }
    return other.relative();
  }

  /**
   * Owner of a new entry: the caller, and, in a setgid directory, the directory's group.
   *
   * @param inheritsGroup whether the parent is a setgid directory (a new directory is setgid too)
   */
  private record Owner(int uid, int gid, boolean inheritsGroup) {
  }

  private static Owner owner(Target t, Caller caller) throws IOException {
    String relative = t.relative();
    String parent = relative.substring(0, Math.max(relative.lastIndexOf('/'), 0));
    Optional<Node> dir = t.ref().tree().resolve(parent);
    if (dir.isPresent() && (dir.get().stat().mode() & Posix.S_ISGID) != 0) {
      return new Owner(caller.uid(), dir.get().stat().gid(), true);
    }
    return new Owner(caller.uid(), caller.gid(), false);
  }

  private static IOException failure(int errno, MountPath at) {
    return ErrnoMapper.toException(null, errno, at.toString(), null);
  }
}
