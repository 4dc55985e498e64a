package org.refcache.core.overlay;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The changes that turn one tree into another ({@link TreeLayer.Changes}), read as a layer in
 * overlay-upper form, path by path, by comparing the two trees where a lookup or a listing reaches:
 *
 * <ul>
 *   <li>a name only the upper has is there, as the upper has it (a directory with everything in
 *       it);</li>
 *   <li>a name only the lower has is a whiteout;</li>
 *   <li>a name both have is there (as the upper has it) when it changed ({@link SameEntry}: type,
 *       mode, owner, mtime, xattrs, device number, link target, size, content); a directory of
 *       both is there also when anything below it changed, so that a change's path resolves,
 *       and then holds only what changed;</li>
 *   <li>nothing is opaque: a directory replacing a file is an entry like any other, and what was
 *       under a directory that went is deleted by the whiteout of the directory.</li>
 * </ul>
 *
 * <p>Thread-safe: both trees are read-only and never change, and whether a directory holds a
 * change is remembered (bounded, as the trees' resolutions). A directory whose contributing
 * directories are the same ones in both trees holds no change and is not walked.
 */
final class ChangeSet {
  /** What a deletion looks like to a union: a whiteout (character device 0/0). */
  private static final Stat WHITEOUT = new Stat(0, 0, Posix.S_IFCHR, 1, 0, 0,
      OverlayFormat.WHITEOUT_RDEV, 0, 0, 0, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH);

  private final OverlayTree lower;
  private final OverlayTree upper;
  /** Per directory path present in both trees: whether anything below it changed. */
  private final ConcurrentHashMap<String, Boolean> holdsChanges = new ConcurrentHashMap<>();

  ChangeSet(OverlayTree lower, OverlayTree upper) {
    this.lower = lower;
    this.upper = upper;
  }

  /** The root of the change set as layer {@code layerIndex}: the upper's root directory. */
  Branch root(int layerIndex) {
    return new Branch(layerIndex, upper.layers().get(0), new Directory(""));
  }

  /** The entry at {@code path} of the change set, or empty when nothing changed there. */
  private Optional<Branch.Entry> entry(String path) throws IOException {
    Optional<Resolution> u = upper.lookup(path);
    Optional<Resolution> l = lower.lookup(path);
    if (u.isEmpty()) {
      return l.isEmpty() ? Optional.empty()
          : Optional.of(new Branch.Entry(upper.layers().get(0).resolve(path), WHITEOUT));
    }
    Node un = u.get().node();
    Branch.Entry present = new Branch.Entry(un.real(), un.stat());
    if (l.isEmpty()) {
      return Optional.of(present);
    }
    Node ln = l.get().node();
    if (un.isDirectory() != ln.isDirectory()) {
      return Optional.of(present);
    }
    if (!un.isDirectory()) {
      return SameEntry.same(ln.real(), ln.stat(), un.real(), un.stat()) ? Optional.empty()
          : Optional.of(present);
    }
    if (!SameEntry.sameMetadata(ln.real(), ln.stat(), un.real(), un.stat())) {
      return Optional.of(present);
    }
    return holdsChanges(path, l.get(), u.get()) ? Optional.of(present) : Optional.empty();
  }

  /** Whether anything below the directory {@code path}, present in both trees, changed. */
  private boolean holdsChanges(String path, Resolution l, Resolution u) throws IOException {
    if (sameDirectories(l.branches(), u.branches())) {
      return false; // the very same directories of the very same layers
    }
    Boolean known = holdsChanges.get(path);
    if (known != null) {
      return known;
    }
    boolean changed = false;
    for (String name : names(path)) {
      if (entry(TreePath.child(path, name)).isPresent()) {
        changed = true;
        break;
      }
    }
    if (holdsChanges.size() >= ResolutionCache.DEFAULT_CAPACITY) {
      holdsChanges.clear();
    }
    holdsChanges.put(path, changed);
    return changed;
  }

  /** The same directories on disk, in the same order (compared as far as they differ). */
  private static boolean sameDirectories(List<Branch> a, List<Branch> b) throws IOException {
    for (int i = 0; ; i++) {
      boolean inA = LazyBranches.has(a, i);
      if (inA != LazyBranches.has(b, i)) {
        return false;
      }
      if (!inA) {
        return true;
      }
      Branch x = a.get(i);
      Branch y = b.get(i);
      if (!onDisk(x) || !onDisk(y) || !x.real().equals(y.real())) {
        return false;
      }
    }
  }

  /** A directory of a layer on disk (unpacked now or when read), not of a change set. */
  private static boolean onDisk(Branch b) {
    return b.source() == null || b.source() instanceof LazyLayer;
  }

  /** The names either tree has in the directory {@code path}. */
  private List<String> names(String path) throws IOException {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (DirEntry e : upper.list(path)) {
      names.add(e.name());
    }
    Optional<Resolution> l = lower.lookup(path);
    if (l.isPresent() && l.get().isDirectory()) {
      for (DirEntry e : lower.list(path)) {
        names.add(e.name());
      }
    }
    return List.copyOf(names);
  }

  /** A directory of the change set: {@code path} in both trees. */
  private final class Directory implements BranchSource {
    private final String path;

    Directory(String path) {
      this.path = path;
    }

    @Override
    public Optional<Branch.Entry> child(Branch dir, String name) throws IOException {
      return entry(TreePath.child(path, name));
    }

    @Override
    public List<String> names(Branch dir) throws IOException {
      return ChangeSet.this.names(path);
    }

    @Override
    public Branch descend(Branch dir, String name, Branch.Entry entry) {
      return new Branch(dir.layerIndex(), entry.real(), new Directory(TreePath.child(path, name)));
    }

    @Override
    public boolean isOpaque(Branch dir) {
      return false;
    }

    @Override
    public boolean isReady() {
      return lower.layersReady() && upper.layersReady();
    }

    @Override
    public Branch.Entry itself(Branch dir) throws IOException {
      Node root = upper.resolve(path).orElseThrow(
          () -> new java.nio.file.NoSuchFileException(path.isEmpty() ? "/" : path));
      return new Branch.Entry(root.real(), root.stat());
    }

    @Override
    public String toString() {
      return "changes at \"" + path + "\" from " + lower.layers() + " to " + upper.layers();
    }
  }
}
