package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A read-only union of layer directories, top first, with the lookup rules of kernel overlayfs:
 *
 * <ul>
 *   <li>a name is answered by the topmost layer that has it; a whiteout (character device 0/0)
 *       there means the name is absent, and whiteouts never show;</li>
 *   <li>a directory merges with the directories of the same name below it, until an opaque
 *       directory ({@value OverlayConventions#OPAQUE_XATTR}), a whiteout or a non-directory;</li>
 *   <li>a non-directory hides everything of that name below it, and a directory hides lower
 *       non-directories;</li>
 *   <li>a merged directory's attributes are those of its topmost directory.</li>
 * </ul>
 *
 * <p>Thread-safe. Layers of a read-only tree never change, so every resolution (present or absent)
 * is cached in a bounded map and a lookup costs one {@code lstat} per layer consulted, once. There
 * are deliberately no mutators here: a read-only ref answers {@code EROFS} in the FUSE layer, and
 * {@link WritableOverlayTree} adds the copy-on-write operations.
 */
public class OverlayTree {

  private final List<Path> layers;
  /** Each layer's root directory, top first. */
  private final List<Branch> roots;
  private final ResolutionCache cache;
  /**
   * Listings of directories of the read-only layers alone (no upper directory), which never
   * change: a walk lists each merged directory twice, for its link count and for its entries.
   */
  private final RecentListings listings = new RecentListings(ResolutionCache.DEFAULT_CAPACITY);
  /**
   * Merged link counts of a read-only tree, which never change: getattr of a merged directory would
   * otherwise list it every time. Cleared as a whole when it reaches the resolution cache's bound.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> linkCounts =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A union of existing layer directories.
   *
   * @param layersTopFirst at least one directory; the first hides the others
   * @throws IllegalArgumentException if the list is empty or an element is not a directory
   */
  public OverlayTree(List<Path> layersTopFirst) {
    this(layersTopFirst, false, ResolutionCache.DEFAULT_CAPACITY);
  }

  OverlayTree(List<Path> layersTopFirst, boolean allowNoLayers, int cacheCapacity) {
    this(cacheCapacity, TreeLayer.directories(layersTopFirst), allowNoLayers);
  }

  OverlayTree(int cacheCapacity, List<TreeLayer> layersTopFirst, boolean allowNoLayers) {
    List<TreeLayer> copy = List.copyOf(layersTopFirst);
    if (copy.isEmpty() && !allowNoLayers) {
      throw new IllegalArgumentException("a read-only union needs at least one layer");
    }
    List<Path> dirs = new ArrayList<>(copy.size());
    List<Branch> rootBranches = new ArrayList<>(copy.size());
    for (int i = 0; i < copy.size(); i++) {
      TreeLayer layer = copy.get(i);
      if (layer instanceof TreeLayer.Directory
          && !Files.isDirectory(layer.dir(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException("layer is not a directory: " + layer.dir());
      }
      dirs.add(layer.dir());
      rootBranches.add(Branch.root(i, layer));
    }
    this.layers = List.copyOf(dirs);
    this.roots = List.copyOf(rootBranches);
    this.cache = new ResolutionCache(cacheCapacity);
  }

  /**
   * A read-only union of {@code layersTopFirst}: directories, and change sets of other trees
   * (which is how a diff is served and stacked).
   *
   * @throws IllegalArgumentException if the list is empty or a directory layer is not a directory
   */
  public static OverlayTree of(List<TreeLayer> layersTopFirst) {
    return new OverlayTree(ResolutionCache.DEFAULT_CAPACITY, layersTopFirst, false);
  }

  /**
   * The directories of the read-only layers, top first; index {@code i} is {@link Node#layerIndex()}
   * {@code i} (for a change set, the directory of its upper's root).
   */
  public List<Path> layers() {
    return layers;
  }

  /** Whether mutations are possible; always false for a read-only tree. */
  public boolean isWritable() {
    return false;
  }

  /**
   * The entry at {@code path}.
   *
   * @param path relative, {@code "/"}-separated, {@code ""} for the root
   * @return empty when nothing is there: missing, whited out, hidden by an opaque directory, or
   *         below a component that is not a directory
   * @throws IllegalArgumentException if {@code path} is not a union path (absolute, empty
   *                                  components, {@code "."} or {@code ".."})
   * @throws UncheckedIOException     if a layer cannot be read
   */
  public Optional<Node> resolve(String path) {
    TreePath.check(path);
    return readLocked(() -> lookup(path)).map(Resolution::node);
  }

  /**
   * The merged names of a directory: every layer's names down to the first opaque directory,
   * the topmost of each name winning, without whiteouts and duplicates, sorted by name.
   *
   * @throws NoSuchFileException   if nothing is at {@code dirPath}
   * @throws NotDirectoryException if it is not a directory
   */
  public List<DirEntry> list(String dirPath) throws IOException {
    TreePath.check(dirPath);
    return readLockedIo(() -> listMerged(dirPath));
  }

  /**
   * The link count of the directory at {@code path} as a plain filesystem gives it: 2 plus its
   * subdirectories. The real directory that answers for a merged directory counts only the
   * subdirectories of its own layer (the overlayfs rule that a merged directory's attributes are
   * its topmost directory's would make {@code st_nlink} wrong), so for a directory with more than
   * one contributing directory the count comes from the merged listing: whiteouts, opaque
   * directories and names present in several layers are taken into account. One read of every
   * contributing directory.
   *
   * <p>Package-private (a read-only tree's public methods are pinned by its tests); reached
   * through {@link DirectoryLinks#merged}.
   *
   * @return empty when a single directory contributes: its own link count is already right
   * @throws NoSuchFileException   if nothing is at {@code path}
   * @throws NotDirectoryException if it is not a directory
   */
  final OptionalInt mergedLinkCount(String path) throws IOException {
    TreePath.check(path);
    if (!layersKnownWithoutUnpacking(path)) {
      return OptionalInt.of(1); // not counted before its layers are unpacked (as overlayfs shows it)
    }
    if (!isWritable()) {
      Integer known = linkCounts.get(path);
      if (known != null) {
        return known < 0 ? OptionalInt.empty() : OptionalInt.of(known);
      }
      OptionalInt computed = computeMergedLinkCount(path);
      if (linkCounts.size() >= ResolutionCache.DEFAULT_CAPACITY) {
        linkCounts.clear();
      }
      linkCounts.put(path, computed.orElse(-1));
      return computed;
    }
    return computeMergedLinkCount(path);
  }

  /**
   * Whether every layer's directory that contributes to the directory at {@code path} is known
   * without unpacking a layer (finding them if so): a getattr must not unpack what a lookup did
   * not need.
   */
  private boolean layersKnownWithoutUnpacking(String path) throws IOException {
    Optional<Resolution> dir = readLocked(() -> lookup(path));
    return dir.isEmpty() || !dir.get().isDirectory()
        || readLockedIo(() -> LazyBranches.knownWithoutUnpacking(dir.get().branches()));
  }

  /** Whether every layer of this tree is unpacked (a change set: its two trees'). */
  final boolean layersReady() {
    for (Branch root : roots) {
      if (!root.isReady()) {
        return false;
      }
    }
    return true;
  }

  private OptionalInt computeMergedLinkCount(String path) throws IOException {
    return readLockedIo(() -> {
      Resolution dir = lookup(path).orElseThrow(() -> new NoSuchFileException(path));
      if (!dir.isDirectory()) {
        throw new NotDirectoryException(path);
      }
      if (dir.branches().size() <= 1) {
        return OptionalInt.empty();
      }
      int subdirectories = 0;
      for (DirEntry entry : listMerged(path)) {
        if (entry.type() == Posix.S_IFDIR) {
          subdirectories++;
        }
      }
      return OptionalInt.of(2 + subdirectories);
    });
  }

  /**
   * One extended attribute of the entry at {@code path}. Overlay's own attributes
   * ({@value OverlayConventions#PRIVATE_XATTR_PREFIX}*) are never visible.
   *
   * @return empty when the entry has no such attribute
   * @throws NoSuchFileException if nothing is at {@code path}
   */
  public Optional<byte[]> getXattr(String path, String name) throws IOException {
    TreePath.check(path);
    return readLockedIo(() -> {
      Node node = requireNode(path);
      if (OverlayConventions.isPrivateXattr(name)) {
        return Optional.empty();
      }
      return Posix.lgetxattr(node.real(), name);
    });
  }

  /**
   * The names of the extended attributes of the entry at {@code path}, without overlay's own.
   *
   * @throws NoSuchFileException if nothing is at {@code path}
   */
  public List<String> listXattr(String path) throws IOException {
    TreePath.check(path);
    return readLockedIo(() -> LayerFiles.visibleXattrNames(requireNode(path).real()));
  }

  // ---- resolution; subclasses merge an upper in by overriding lookup ---------------------------

  /** The resolution of a checked path in this union. Callers hold the read lock if any. */
  Optional<Resolution> lookup(String path) {
    return lookupLayers(path);
  }

  /** The resolution of a checked path in the read-only layers alone, cached. */
  final Optional<Resolution> lookupLayers(String path) {
    Optional<Resolution> cached = cache.get(path);
    if (cached != null) {
      return cached;
    }
    Optional<Resolution> computed;
    try {
      computed = path.isEmpty() ? resolveRoot() : step(lookupLayers(TreePath.parent(path)), path);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve \"" + path + "\" in " + layers, e);
    }
    cache.put(path, computed);
    return computed;
  }

  /** How many resolutions the read-only layers' cache holds (for tests and diagnostics). */
  final int cachedResolutions() {
    return cache.size();
  }

  private Optional<Resolution> resolveRoot() throws IOException {
    if (roots.isEmpty()) {
      return Optional.empty();
    }
    Branch.Entry top = roots.get(0).itself();
    for (int i = 1; i < roots.size(); i++) {
      if (roots.get(i).source() == null) {
        Posix.lstat(roots.get(i).real()); // a layer directory gone is an error, not an empty layer
      }
    }
    return Optional.of(new Resolution(new Node(TreePath.ROOT, top.real(), 0, top.stat()), roots));
  }

  /**
   * Resolves {@code path} from its parent's contributing directories, top first: the first entry
   * found answers; a directory then collects the directories below it until an opaque one, a
   * whiteout or a non-directory ends the stack, when it is first needed ({@link LazyBranches}).
   */
  static Optional<Resolution> step(Optional<Resolution> parent, String path) throws IOException {
    if (parent.isEmpty() || !parent.get().isDirectory()) {
      return Optional.empty();
    }
    String name = TreePath.name(path);
    List<Branch> parentBranches = parent.get().branches();
    Node top = null;
    for (int i = 0; LazyBranches.has(parentBranches, i); i++) {
      Branch branch = parentBranches.get(i);
      Optional<Branch.Entry> found = branch.child(name);
      if (found.isEmpty()) {
        continue;
      }
      Path candidate = found.get().real();
      Stat stat = found.get().stat();
      if (OverlayConventions.isWhiteout(stat)) {
        break;
      }
      if (!stat.isDirectory()) {
        if (top == null) {
          top = new Node(path, candidate, branch.layerIndex(), stat);
        }
        break;
      }
      if (top == null) {
        top = new Node(path, candidate, branch.layerIndex(), stat);
      }
      // The answer is known; the directories below it are looked up when something needs them.
      Branch dir = branch.descend(name, found.get());
      return Optional.of(new Resolution(top, new LazyBranches(dir, parentBranches, i + 1, name)));
    }
    return top == null ? Optional.empty() : Optional.of(new Resolution(top, List.of()));
  }

  final List<DirEntry> listMerged(String dirPath) throws IOException {
    Resolution dir = lookup(dirPath).orElseThrow(() -> new NoSuchFileException(dirPath));
    if (!dir.isDirectory()) {
      throw new NotDirectoryException(dirPath);
    }
    boolean layersOnly = !dir.node().isUpper() && !dir.hasUpperBranch();
    if (layersOnly) {
      List<DirEntry> known = listings.get(dirPath);
      if (known != null) {
        return known;
      }
    }
    TreeMap<String, DirEntry> merged = new TreeMap<>();
    Set<String> whitedOut = new HashSet<>();
    for (Branch branch : dir.branches()) {
      for (String name : branch.names()) {
        if (merged.containsKey(name) || whitedOut.contains(name)) {
          continue;
        }
        Optional<Branch.Entry> found = branch.child(name);
        if (found.isEmpty()) {
          continue; // a change set lists the names of both trees, not only its changes
        }
        Path entry = found.get().real();
        Stat stat = found.get().stat();
        if (OverlayConventions.isWhiteout(stat)) {
          whitedOut.add(name);
        } else {
          merged.put(name, new DirEntry(name, stat.type(), entry, stat.ino()));
          rememberListed(TreePath.child(dirPath, name), branch, entry, stat);
        }
      }
    }
    List<DirEntry> listing = List.copyOf(merged.values());
    if (layersOnly) {
      listings.put(dirPath, listing);
    }
    return listing;
  }

  /**
   * Caches what a lookup of a listed non-directory of the read-only layers would find: the
   * topmost entry of its name, which the listing just read. A walk (list, then look up every
   * name) then reads each entry once instead of once per layer it looks in.
   */
  private void rememberListed(String path, Branch branch, Path real, Stat stat) {
    if (!stat.isDirectory() && branch.layerIndex() != Node.UPPER) {
      cache.put(path, Optional.of(new Resolution(new Node(path, real, branch.layerIndex(), stat), List.of())));
    }
  }

  final Node requireNode(String path) throws NoSuchFileException {
    return lookup(path).orElseThrow(() -> new NoSuchFileException(path)).node();
  }

  // ---- locking hooks: a read-only tree needs none --------------------------------------------

  /** An action on the union that may fail with an {@link IOException}. */
  @FunctionalInterface
  interface IoAction<T> {
    T run() throws IOException;
  }

  /** Runs a read of the union; a writable tree runs it under its read lock. */
  <T> T readLocked(java.util.function.Supplier<T> read) {
    return read.get();
  }

  /** Runs a read of the union that may fail; a writable tree runs it under its read lock. */
  <T> T readLockedIo(IoAction<T> read) throws IOException {
    return read.run();
  }
}
