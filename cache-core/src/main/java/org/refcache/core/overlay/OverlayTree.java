package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * A read-only union of layer directories, top first, with the lookup rules of kernel overlayfs:
 *
 * <ul>
 *   <li>a name is answered by the topmost layer that has it; a whiteout (character device 0/0)
 *       there means the name is absent, and whiteouts never show;</li>
 *   <li>a directory merges with the directories of the same name below it, until an opaque
 *       directory ({@value OverlayFormat#OPAQUE_XATTR}), a whiteout or a non-directory;</li>
 *   <li>a non-directory hides everything of that name below it, and a directory hides lower
 *       non-directories;</li>
 *   <li>a merged directory's attributes are those of its topmost directory, but for its link
 *       count, which counts the subdirectories of every layer's (as a plain filesystem's).</li>
 * </ul>
 *
 * <p>What a path shows ({@link #attributes}, and the inode numbers of {@link #list}) is answered
 * here, so that a view only copies it: the origin's inode number across a copy-up, the ctime
 * kept across a copy-up, merged link counts.
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
  /** Per layer, whether copies in it may carry an origin ({@link OriginInodes#mayHoldOrigins}). */
  private final boolean[] withOrigins;
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
  private final ConcurrentHashMap<String, Integer> linkCounts = new ConcurrentHashMap<>();
  /** What a listing read of its non-directories, for the attribute read that follows it. */
  private final ListedStats listedStats = new ListedStats(ResolutionCache.DEFAULT_CAPACITY);

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
    this.withOrigins = new boolean[copy.size()];
    for (int i = 0; i < copy.size(); i++) {
      withOrigins[i] = mayHoldOrigins(copy.get(i));
    }
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

  /** Whether the tree has an upper, which can change; false for a read-only tree. */
  boolean hasUpper() {
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
    return readLocked(() -> lookup(path).map(r -> {
      try {
        return shownNode(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resolve \"" + path + "\" in " + layers, e);
      }
    }));
  }

  /**
   * The merged names of a directory: every layer's names down to the first opaque directory,
   * the topmost of each name winning, without whiteouts and duplicates, sorted by name; each with
   * the inode number the union reports for it ({@link Node#ino()}, the one {@link #attributes}
   * reports), so that {@code d_ino} and {@code st_ino} agree.
   *
   * @throws NoSuchFileException   if nothing is at {@code dirPath}
   * @throws NotDirectoryException if it is not a directory
   */
  public List<DirEntry> list(String dirPath) throws IOException {
    TreePath.check(dirPath);
    return readLockedIo(() -> {
      List<Listed> listed = listMerged(dirPath);
      List<DirEntry> entries = new ArrayList<>(listed.size());
      for (Listed entry : listed) {
        long ino = listedIno(dirPath, entry);
        entries.add(new DirEntry(entry, ino, listedAttributes(entry, ino)));
      }
      return entries;
    });
  }

  /**
   * The inode number the union reports for {@code entry}, listed in the directory at
   * {@code dirPath}: the one its resolution in the layers gives (cached, and then cached for the
   * lookup that usually follows a listing). Callers hold the read lock if any.
   */
  long listedIno(String dirPath, Listed entry) throws IOException {
    if (!withOrigins[entry.layerIndex()]) {
      return entry.stat().ino();
    }
    Optional<Resolution> resolved = lookupLayers(TreePath.child(dirPath, entry.name()));
    if (resolved.isPresent() && resolved.get().node().real().equals(entry.real())) {
      return resolved.get().node().ino();
    }
    return OriginInodes.read(entry.real(), entry.stat()); // not the same file: read it directly
  }

  /**
   * What {@link #attributes} shows for a listed entry, when the listing alone answers it: a
   * non-directory of a tree that never changes, whose inode number is its own. Null otherwise (a
   * directory's link count is merged, an upper's ctime may be a copy-up's).
   */
  private Stat listedAttributes(Listed entry, long ino) {
    Stat stat = entry.stat();
    return hasUpper() || stat.isDirectory() || ino != stat.ino() ? null : stat;
  }

  /**
   * What the union shows at {@code path}: the attributes of the real file that answers for it
   * ({@link Node#real()}, read now), with what a union changes in them, so that they are what a
   * plain filesystem would show:
   *
   * <ul>
   *   <li>the inode number is {@link Node#ino()}: a copy made by a copy-up or a move reports the
   *       number of the file it was copied from ({@link OriginInodes}), so {@code st_ino} stays
   *       the same through a copy-up, a commit (the upper becomes a layer of a read-only tree)
   *       and a restart;</li>
   *   <li>the ctime of an entry a copy-up touched is the one it showed before, until it changes
   *       for real (a writable tree; see {@link CopyUpCtimes});</li>
   *   <li>a directory merged from several layers counts 2 plus its merged subdirectories: the
   *       real directory that answers for it counts only its own layer's (the overlayfs rule that
   *       a merged directory's attributes are its topmost directory's would make
   *       {@code st_nlink} wrong). Whiteouts, opaque directories and names present in several
   *       layers are taken into account; one read of every contributing directory, remembered by
   *       a read-only tree. While a layer it needs is not unpacked yet it counts 1, as overlayfs
   *       shows every merged directory: a getattr never unpacks what a lookup did not need.</li>
   * </ul>
   *
   * @return empty when nothing is there (as {@link #resolve})
   * @throws IllegalArgumentException if {@code path} is not a union path
   */
  public Optional<Stat> attributes(String path) throws IOException {
    TreePath.check(path);
    return readLockedIo(() -> {
      Optional<Resolution> found = lookup(path);
      return found.isEmpty() ? Optional.empty() : shown(path, found.get());
    });
  }

  /** {@link #attributes} of a resolved path; callers hold the read lock if any. */
  private Optional<Stat> shown(String path, Resolution resolution) throws IOException {
    Node node = shownNode(resolution);
    Stat real;
    if (node.isUpper()) {
      real = node.stat(); // an upper is never cached: read by this very lookup
    } else {
      Stat listed = listedStats.take(path, node); // read a moment ago by the listing of its directory
      if (listed == null && !hasUpper() && !path.isEmpty()) {
        // A tree that never changes: the listing its directory keeps answers again (a walk after
        // the kernel forgot its inodes, e.g. under memory pressure, then reads no inode from
        // disk). Only an atime moved by a read since the listing shows late, as it does while
        // the kernel keeps these attributes (an hour, FuseOptions.UNCHANGING_TIMEOUT).
        listed = listings.listedStat(path, node.real());
      }
      if (listed != null) {
        real = listed;
      } else {
        Optional<Stat> now = LayerFiles.lstatIfExists(node.real()); // its atime may have moved
        if (now.isEmpty()) {
          return Optional.empty();
        }
        real = now.get();
      }
    }
    long nlink = real.nlink();
    if (resolution.isDirectory()) {
      if (!LazyBranches.knownWithoutUnpacking(resolution.branches())) {
        nlink = 1; // not counted before its layers are unpacked (as overlayfs shows it)
      } else if (resolution.branches().size() > 1) {
        nlink = mergedLinkCount(path);
      }
    }
    // Only an upper entry's ctime can be shown otherwise (a copy-up's); the others' is taken as
    // it is, without making an Instant of it.
    Instant ctime = node.isUpper() ? shownCtime(path, node, real.ctime()) : null;
    boolean realCtime = ctime == null || real.ctimeIs(ctime.getEpochSecond(), ctime.getNano());
    if (node.ino() == real.ino() && nlink == real.nlink() && realCtime) {
      return Optional.of(real); // the usual case in a layer: shown as it is, no copy
    }
    return Optional.of(realCtime
        ? real.with(node.ino(), nlink, real.ctimeSeconds(), real.ctimeNanos())
        : real.with(node.ino(), nlink, ctime.getEpochSecond(), ctime.getNano()));
  }

  /**
   * The ctime the union shows for {@code node} at {@code path}, whose real ctime is {@code real}.
   * Only a copy-up can make them differ, and a read-only tree makes none.
   */
  Instant shownCtime(String path, Node node, Instant real) {
    return real;
  }

  /** The link count of the directory {@code dir} at {@code path}, merged from several layers. */
  private int mergedLinkCount(String path) throws IOException {
    if (hasUpper()) { // an upper changes (even a frozen one may thaw): not remembered
      return countMergedLinks(path);
    }
    Integer known = linkCounts.get(path);
    if (known == null) {
      known = countMergedLinks(path);
      if (linkCounts.size() >= ResolutionCache.DEFAULT_CAPACITY) {
        linkCounts.clear();
      }
      linkCounts.put(path, known);
    }
    return known;
  }

  private int countMergedLinks(String path) throws IOException {
    Resolution dir = lookup(path).orElseThrow(() -> new NoSuchFileException(path));
    List<Listed> known = hasUpper() ? null : listings.get(path);
    if (known == null) {
      Integer typed = countMergedSubdirectories(dir);
      if (typed != null) {
        return 2 + typed;
      }
      known = listMerged(path);
    }
    int subdirectories = 0;
    for (Listed entry : known) {
      if (entry.stat().isDirectory()) {
        subdirectories++;
      }
    }
    return 2 + subdirectories;
  }

  /**
   * The number of subdirectories the merged directory {@code dir} shows, from its directories'
   * listings alone: a name counts when its topmost entry is a directory (a whiteout or any other
   * entry above hides what is below it, as in {@link #listMerged}). No {@code lstat} per entry:
   * a walk's READDIRPLUS of a directory asks this of each of its subdirectories, and reading
   * their entries' attributes there would list the whole level below on the walk's path, before
   * the walk (or the read-ahead) gets to it. Null when a directory is not one on disk or a
   * filesystem does not give the entries' types ({@code DT_UNKNOWN}): the caller lists it in full.
   */
  private Integer countMergedSubdirectories(Resolution dir) throws IOException {
    Set<String> seen = new HashSet<>();
    int[] subdirectories = {0};
    boolean[] unknown = {false};
    for (Branch branch : dir.branches()) {
      boolean read = branch.typedNames((name, type) -> {
        if (type == Posix.DT_UNKNOWN) {
          unknown[0] = true;
        } else if (seen.add(name) && type == Posix.DT_DIR) {
          subdirectories[0]++;
        }
      });
      if (!read || unknown[0]) {
        return null;
      }
    }
    return subdirectories[0];
  }

  /**
   * One extended attribute of the entry at {@code path}. Overlay's own attributes
   * ({@value OverlayFormat#PRIVATE_XATTR_PREFIX}*) are never visible.
   *
   * @return empty when the entry has no such attribute
   * @throws NoSuchFileException if nothing is at {@code path}
   */
  public Optional<byte[]> getXattr(String path, String name) throws IOException {
    TreePath.check(path);
    return readLockedIo(() -> {
      Node node = shownNode(lookup(path).orElseThrow(() -> new NoSuchFileException(path)));
      if (OverlayFormat.isPrivateXattr(name)) {
        return Optional.empty();
      }
      return Xattrs.lgetxattr(node.real(), name);
    });
  }

  /**
   * The names of the extended attributes of the entry at {@code path}, without overlay's own.
   *
   * @throws NoSuchFileException if nothing is at {@code path}
   */
  public List<String> listXattr(String path) throws IOException {
    TreePath.check(path);
    return readLockedIo(() -> LayerFiles.visibleXattrNames(
        shownNode(lookup(path).orElseThrow(() -> new NoSuchFileException(path))).real()));
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
      computed = path.isEmpty() ? resolveRoot() : fromListing(path);
      if (computed == null) {
        computed = step(lookupLayers(TreePath.parent(path)), path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve \"" + path + "\" in " + layers, e);
    }
    cache.put(path, computed);
    return computed;
  }

  /**
   * The resolution of {@code path} in the read-only layers as the kept listing of its directory
   * gives it, without reading the layers again: a walk lists a directory, then looks up (or stats)
   * each name. A name the listing does not hold is absent (a listing of layers is complete). Null
   * when no listing is kept, or for a directory, whose stack of branches {@link #step} finds.
   */
  private Optional<Resolution> fromListing(String path) throws IOException {
    List<Listed> listing = listings.get(TreePath.parent(path));
    if (listing == null) {
      return null;
    }
    Listed entry = RecentListings.find(listing, TreePath.name(path));
    if (entry == null) {
      return Optional.empty();
    }
    if (entry.stat().isDirectory()) {
      return null;
    }
    return Optional.of(new Resolution(listedNode(path, entry), List.of()));
  }

  /** The node of the listed non-directory {@code entry} at {@code path}. */
  private Node listedNode(String path, Listed entry) throws IOException {
    return new Node(path, entry.real(), entry.layerIndex(), entry.stat(),
        ino(entry.layerIndex(), entry.real(), entry.stat()));
  }

  /**
   * How many resolutions the read-only layers' cache holds. Tests only, and kept because a bounded
   * cache and an unbounded one answer alike: only this shows the bound holds.
   */
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
    Node root = new Node(TreePath.ROOT, top.real(), 0, top.stat(), ino(0, top.real(), top.stat()));
    return Optional.of(new Resolution(root, roots));
  }

  /**
   * Resolves {@code path} from its parent's contributing directories, top first: the first entry
   * found answers; a directory then collects the directories below it until an opaque one, a
   * whiteout or a non-directory ends the stack, when it is first needed ({@link LazyBranches}).
   */
  private Optional<Resolution> step(Optional<Resolution> parent, String path) throws IOException {
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
      if (OverlayFormat.isWhiteout(stat)) {
        break;
      }
      if (top == null) {
        top = new Node(path, candidate, branch.layerIndex(), stat,
            ino(branch.layerIndex(), candidate, stat));
      }
      if (!stat.isDirectory()) {
        break;
      }
      // The answer is known; the directories below it are looked up when something needs them.
      Branch dir = branch.descend(name, found.get());
      return Optional.of(new Resolution(top, new LazyBranches(dir, parentBranches, i + 1, name)));
    }
    return top == null ? Optional.empty() : Optional.of(new Resolution(top, List.of()));
  }

  /**
   * The node whose metadata the union shows for {@code r}: its own, except for a directory whose
   * topmost directory a layer's unpack made only to hold what is below it
   * ({@link OverlayFormat#IMPLICIT_XATTR}). That one says nothing of the directory's metadata,
   * which is the first directory's below it that is not such a one (the layers down to it are
   * unpacked now: only there is the answer known), with the topmost's inode number. Worked out
   * when metadata is asked for, not when a path is walked through the directory.
   */
  final Node shownNode(Resolution r) throws IOException {
    Node top = r.node();
    if (!top.isDirectory() || top.isUpper() || !OverlayFormat.isImplicit(top.real(), top.stat())) {
      return top;
    }
    return shownFromBelow(top, r.branches());
  }

  private static Node shownFromBelow(Node top, List<Branch> stack) throws IOException {
    for (int j = 1; LazyBranches.has(stack, j); j++) {
      Branch below = stack.get(j);
      Branch.Entry e = below.itself();
      if (!OverlayFormat.isImplicit(e.real(), e.stat())) {
        return new Node(top.path(), e.real(), below.layerIndex(), e.stat(), top.ino());
      }
    }
    return top;
  }

  /**
   * Whether copies in {@code layer} may carry an origin that the union shows
   * ({@link TreeLayer#showsOrigins}). A lazy layer is unpacked from a blob, which never does (and
   * is not read before a lookup needs it); a change set serves its upper tree's files, whose own
   * marks are read file by file.
   */
  private static boolean mayHoldOrigins(TreeLayer layer) {
    if (!layer.showsOrigins()) {
      return false;
    }
    if (layer instanceof TreeLayer.Changes) {
      return true;
    }
    try {
      return OriginInodes.mayHoldOrigins(layer.dir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read layer " + layer.dir(), e);
    }
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

  /** The number the union reports for {@code real} of layer {@code layerIndex}. */
  private long ino(int layerIndex, Path real, Stat stat) throws IOException {
    return withOrigins[layerIndex] ? OriginInodes.read(real, stat) : stat.ino();
  }

  /**
   * The merged names of a directory (see {@link #list}), with their real files. Callers hold the
   * read lock if any.
   */
  final List<Listed> listMerged(String dirPath) throws IOException {
    Resolution dir = lookup(dirPath).orElseThrow(() -> new NoSuchFileException(dirPath));
    if (!dir.isDirectory()) {
      throw new NotDirectoryException(dirPath);
    }
    boolean layersOnly = !dir.node().isUpper() && !dir.hasUpperBranch();
    if (layersOnly) {
      // Once, if the walk and the read-ahead ask at the same time: the second waits. A listing
      // kept answers the lookups of its names (fromListing); one too large to keep leaves them
      // in the resolution cache instead.
      return listings.listing(dirPath, () -> {
        List<Listed> listed = mergedListing(dirPath, dir);
        if (!listings.keeps(listed) || hasUpper()) {
          // A writable tree's attribute reads take the listed stats (it answers none from the
          // kept listing: its upper may hold the name by then).
          rememberListed(dirPath, listed);
        }
        return listed;
      });
    }
    List<Listed> listed = mergedListing(dirPath, dir);
    rememberListed(dirPath, listed);
    return listed;
  }

  /** Lists the directory {@code dir} at {@code dirPath} (see {@link #listMerged}). */
  private List<Listed> mergedListing(String dirPath, Resolution dir) throws IOException {
    // A name seen in a layer above: its entry, or WHITED_OUT. Sorted once at the end.
    HashMap<String, Listed> merged = new HashMap<>();
    for (Branch branch : dir.branches()) {
      List<String> names = branch.names();
      int dirFd = branch.openForListing();
      try {
        for (String name : names) {
          if (merged.containsKey(name)) {
            continue;
          }
          Listed entry = listedChild(branch, name, dirFd);
          if (entry == null) {
            continue; // a change set lists the names of both trees, not only its changes
          }
          merged.put(name, OverlayFormat.isWhiteout(entry.stat()) ? WHITED_OUT : entry);
        }
      } finally {
        if (dirFd >= 0) {
          Descriptors.close(dirFd);
        }
      }
    }
    ArrayList<Listed> listed = new ArrayList<>(merged.size());
    for (Listed entry : merged.values()) {
      if (entry != WHITED_OUT) {
        listed.add(entry);
      }
    }
    listed.sort(BY_NAME);
    return Collections.unmodifiableList(listed);
  }

  /** What {@link #mergedListing} keeps for a name whited out above: nothing of it shows. */
  private static final Listed WHITED_OUT = new Listed("", null, null, 0, null);
  private static final Comparator<Listed> BY_NAME = Comparator.comparing(Listed::name);

  /**
   * The entry {@code name} of {@code branch}, or null; a directory on disk is read through
   * {@code dirFd} ({@link Branch#openForListing}; -1: by its path).
   */
  private static Listed listedChild(Branch branch, String name, int dirFd) throws IOException {
    if (branch.source() == null) {
      Stat stat = Posix.lstatAt(dirFd, branch.real(), name);
      return stat == null ? null : new Listed(name, branch.real(), null, branch.layerIndex(), stat);
    }
    Optional<Branch.Entry> found = branch.child(name); // a change set's or a lazy layer's root
    return found.isEmpty() ? null
        : new Listed(name, null, found.get().real(), branch.layerIndex(), found.get().stat());
  }

  /**
   * Caches what a lookup of each listed non-directory of the read-only layers would find: the
   * topmost entry of its name, which the listing just read. A walk (list, then look up every
   * name) then reads each entry once instead of once per layer it looks in.
   */
  private void rememberListed(String dirPath, List<Listed> listed) throws IOException {
    for (Listed entry : listed) {
      if (!entry.stat().isDirectory() && entry.layerIndex() != Node.UPPER) {
        String path = TreePath.child(dirPath, entry.name());
        Optional<Resolution> kept =
            cache.put(path, Optional.of(new Resolution(listedNode(path, entry), List.of())));
        // The stat of the node the cache keeps (an earlier one if the name was resolved before):
        // the attribute read takes it only if it is that node's.
        if (kept.isPresent()) {
          listedStats.put(path, kept.get().node().stat());
        }
      }
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
