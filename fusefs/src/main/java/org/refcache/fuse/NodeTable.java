package org.refcache.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.refcache.fuse.kernel.FuseKernel;

/**
 * The kernel's inodes ("node IDs") and the places in the view they stand for. The view's
 * operations work on places ({@link MountPath}, typed once when the kernel looks a name up); the
 * kernel names files by node ID, handed out here on every successful lookup and counted down by
 * its forgets.
 *
 * <p>Hard links: names of one file (a non-directory with a link count above 1, the same inode
 * number in the same ref) share one node, so the kernel keeps one inode for them and a change
 * through one name (link count, mode, size, times, cached pages) is seen through the others at
 * once. Directories and single-link files get a node per name.
 *
 * <p>Node IDs are never reused (a 64-bit counter), so a stale ID can only miss, never hit another
 * file. Thread safety: every method is synchronized; callers that compute a path, act on it and
 * record the result hold {@link KernelBridge}'s structure lock so that a concurrent directory
 * rename cannot slip in between.
 */
final class NodeTable {

  /** A kernel inode: its names (places in the view), lookups the kernel holds, open files. */
  static final class Node {
    final long id;
    final boolean directory;
    /** The ref and inode number of a hard-linked file, else null. */
    LinkKey linkKey;
    /**
     * Its first name, or null when it has none, and its other names (hard links), or null: most
     * nodes have one name, and a list per node was 48 bytes more per node the kernel holds for the
     * collector to trace (docs/PERFORMANCE.md, "The merge walk, third pass").
     */
    private MountPath firstPath;
    private List<MountPath> morePaths;
    long lookups;
    int opens;
    /** Where the view keeps it after it was unlinked while open (see {@link UnlinkedFiles}). */
    MountPath unlinkedAt;
    /** The kernel's backing file ID of its passthrough opens (one per inode), or 0. */
    int backingId;
    /** Its ref went while files were open: close the backing file when the last one closes. */
    boolean closeBackingWhenIdle;

    Node(long id, boolean directory, LinkKey linkKey) {
      this.id = id;
      this.directory = directory;
      this.linkKey = linkKey;
    }

    /** Its names, first first (a copy). */
    List<MountPath> paths() {
      if (firstPath == null) {
        return List.of();
      }
      if (morePaths == null) {
        return List.of(firstPath);
      }
      List<MountPath> all = new ArrayList<>(1 + morePaths.size());
      all.add(firstPath);
      all.addAll(morePaths);
      return all;
    }

    boolean hasPaths() {
      return firstPath != null;
    }

    /** Its first name, or null when it has none. */
    MountPath firstPath() {
      return firstPath;
    }

    int pathCount() {
      return firstPath == null ? 0 : 1 + (morePaths == null ? 0 : morePaths.size());
    }

    void addPath(MountPath path) {
      if (firstPath == null) {
        firstPath = path;
        return;
      }
      if (morePaths == null) {
        morePaths = new ArrayList<>(1);
      }
      morePaths.add(path);
    }

    /** Removes the name {@code path} if it has it; the next name becomes the first. */
    void removePath(MountPath path) {
      if (path.equals(firstPath)) {
        firstPath = morePaths == null ? null : morePaths.remove(0);
      } else if (morePaths != null) {
        morePaths.remove(path);
      }
      if (morePaths != null && morePaths.isEmpty()) {
        morePaths = null;
      }
    }

    /** Puts {@code now} in the place of its name {@code old}. */
    void replacePath(MountPath old, MountPath now) {
      if (old.equals(firstPath)) {
        firstPath = now;
        return;
      }
      int index = morePaths == null ? -1 : morePaths.indexOf(old);
      if (index < 0) {
        throw new IllegalStateException("node " + id + " has no name " + old);
      }
      morePaths.set(index, now);
    }

    void clearPaths() {
      firstPath = null;
      morePaths = null;
    }
  }

  /** The key of a hard-linked file: its ref (names of one file never span refs) and inode. */
  private record LinkKey(String refId, long ino) {
  }

  private final NodesById byId = new NodesById();
  private final Map<MountPath, Node> byPath = new HashMap<>();
  private final Map<LinkKey, Node> byLink = new HashMap<>();
  private final List<Integer> unusedBackings = new ArrayList<>();
  private long nextId = FuseKernel.ROOT_ID + 1;
  /**
   * Whether a file the kernel holds (looked up) counts as open: when opens take no request, the
   * table cannot know which files are open, so an unlinked file is kept until the kernel forgets
   * its node, not only until its last release.
   */
  private final boolean lookedUpCountsAsOpen;

  NodeTable() {
    this(false);
  }

  NodeTable(boolean lookedUpCountsAsOpen) {
    this.lookedUpCountsAsOpen = lookedUpCountsAsOpen;
    Node root = new Node(FuseKernel.ROOT_ID, true, null);
    root.addPath(MountPath.ROOT);
    root.lookups = 1; // the kernel never forgets the root
    byId.put(root);
    byPath.put(MountPath.ROOT, root);
  }

  /**
   * The place {@code nodeId} stands for (an unlinked open file's, once it has no name), or null
   * for an unknown node.
   */
  synchronized MountPath path(long nodeId) {
    Node node = byId.get(nodeId);
    if (node == null) {
      return null;
    }
    if (node.hasPaths()) {
      return node.firstPath();
    }
    return node.unlinkedAt;
  }

  /** The place of {@code name} in directory {@code parentId}, or null for an unknown parent. */
  synchronized MountPath child(long parentId, String name) {
    MountPath parent = path(parentId);
    return parent == null ? null : parent.child(name);
  }

  /**
   * Records a successful lookup (or creation) of {@code path}, whose file has inode number
   * {@code ino} and link count {@code nlink}: the node to answer with, its lookup count raised.
   */
  synchronized Node entered(MountPath path, long ino, long nlink, boolean directory) {
    LinkKey linkKey = directory || nlink < 2 ? null : linkKey(path, ino);
    Node known = byPath.get(path);
    if (known != null) {
      if (known.directory == directory) {
        // The same file (all changes of names go through the view): keep its node even if its
        // link count changed, so the kernel keeps its inode and cached pages.
        if (linkKey != null && known.linkKey == null && !byLink.containsKey(linkKey)) {
          known.linkKey = linkKey;
          byLink.put(linkKey, known);
        }
        known.lookups++;
        return known;
      }
      detach(known, path); // another kind of file now has this name
    }
    Node node = linkKey == null ? null : byLink.get(linkKey);
    if (node == null || node.directory) {
      node = new Node(nextId++, directory, linkKey);
      byId.put(node);
      if (linkKey != null) {
        byLink.put(linkKey, node);
      }
    }
    node.addPath(path);
    byPath.put(path, node);
    node.lookups++;
    return node;
  }

  /**
   * Records a new hard link {@code path} of node {@code nodeId}: the same node, as the kernel
   * expects of a link reply.
   */
  synchronized Node linked(long nodeId, MountPath path, long ino) {
    Node node = byId.get(nodeId);
    Node known = byPath.get(path);
    if (known != null) {
      detach(known, path);
    }
    if (node == null || node.directory) {
      return null;
    }
    LinkKey key = linkKey(path, ino);
    if (!key.equals(node.linkKey)) {
      // The file had one name: from now on its names share this node.
      if (node.linkKey != null) {
        byLink.remove(node.linkKey, node);
      }
      node.linkKey = key;
      byLink.put(key, node);
    }
    node.addPath(path);
    byPath.put(path, node);
    node.lookups++;
    return node;
  }

  /**
   * The node named {@code path} if it is open and that is its last known name (unlinking it must
   * keep the file reachable), else null.
   */
  synchronized Node openWithLastName(MountPath path) {
    Node node = byPath.get(path);
    return node != null && mayBeOpen(node) && node.pathCount() == 1 && !node.directory
        ? node : null;
  }

  private boolean mayBeOpen(Node node) {
    return node.opens > 0 || lookedUpCountsAsOpen && node.lookups > 0;
  }

  /** The node named {@code path}, or null. */
  synchronized Node at(MountPath path) {
    return byPath.get(path);
  }

  /** {@code path} was unlinked (or removed): its node loses that name. */
  synchronized void unlinked(MountPath path) {
    Node node = byPath.get(path);
    if (node != null) {
      detach(node, path);
    }
  }

  /**
   * {@code path}'s file, a name of {@code node}, is now kept by the view at {@code unlinkedAt}
   * (unlinked or renamed over while open).
   *
   * @return false if the node's last open file was released meanwhile: then nobody will let the
   *         kept file go, and the caller does it at once
   */
  synchronized boolean keptUnlinked(Node node, MountPath path, MountPath unlinkedAt) {
    detach(node, path);
    if (!mayBeOpen(node)) {
      return false;
    }
    node.unlinkedAt = unlinkedAt;
    return true;
  }

  /**
   * {@code from} was renamed to {@code to} (with {@code renameat2} flags): names below a renamed
   * directory move with it; with EXCHANGE the two swap.
   */
  synchronized void renamed(MountPath from, MountPath to, boolean exchange) {
    if (!exchange) {
      Node replaced = byPath.get(to);
      if (replaced != null) {
        detach(replaced, to);
      }
    }
    Map<MountPath, MountPath> moves = new HashMap<>();
    collectMoves(from, to, moves);
    if (exchange) {
      collectMoves(to, from, moves);
    }
    Map<MountPath, Node> moved = new HashMap<>();
    for (MountPath old : moves.keySet()) {
      moved.put(old, byPath.remove(old));
    }
    for (Map.Entry<MountPath, MountPath> move : moves.entrySet()) {
      Node node = moved.get(move.getKey());
      node.replacePath(move.getKey(), move.getValue());
      byPath.put(move.getValue(), node);
    }
  }

  private void collectMoves(MountPath from, MountPath to, Map<MountPath, MountPath> moves) {
    Node top = byPath.get(from);
    if (top == null) {
      return;
    }
    moves.put(from, to);
    if (!top.directory) {
      return;
    }
    for (MountPath path : byPath.keySet()) {
      if (path.isBelow(from)) {
        moves.put(path, path.movedFrom(from, to));
      }
    }
  }

  /** An open file of {@code nodeId} was opened. */
  synchronized void opened(long nodeId) {
    Node node = byId.get(nodeId);
    if (node != null) {
      node.opens++;
    }
  }

  /**
   * An open file of {@code nodeId} was released.
   *
   * @return the kept unlinked file to let go now that its last open file is closed, or null
   */
  synchronized MountPath released(long nodeId) {
    Node node = byId.get(nodeId);
    if (node == null) {
      return null;
    }
    node.opens = Math.max(0, node.opens - 1);
    if (node.opens == 0 && node.closeBackingWhenIdle && node.backingId != 0) {
      unusedBackings.add(node.backingId);
      node.backingId = 0;
      node.closeBackingWhenIdle = false;
    }
    MountPath drop = null;
    if (!mayBeOpen(node) && node.unlinkedAt != null) {
      drop = node.unlinkedAt;
      node.unlinkedAt = null;
    }
    dropIfUnused(node);
    return drop;
  }

  /**
   * Opens {@code nodeId} through its backing file if it has one (registered by its first
   * passthrough open, kept for the node's life: the kernel allows one backing file per inode):
   * the ID, with the open counted in the same step, so that the ID stays registered until this
   * open is released; else 0.
   */
  synchronized int openFromBacking(long nodeId) {
    Node node = byId.get(nodeId);
    if (node == null || node.backingId == 0) {
      return 0;
    }
    node.opens++;
    return node.backingId;
  }

  /** The backing file ID of {@code nodeId}, or 0 (its open is counted by the caller). */
  synchronized int backingOf(long nodeId) {
    Node node = byId.get(nodeId);
    return node == null ? 0 : node.backingId;
  }

  /**
   * Makes {@code backingId} the backing file of {@code nodeId}, whose open (counted) asks for
   * passthrough: the ID to answer with, or 0 for no passthrough. Another open that registered one
   * meanwhile wins; other open files of the node without passthrough refuse it (the kernel does
   * not mix the two on one inode). The caller closes its own ID if another is returned.
   */
  synchronized int adoptBacking(long nodeId, int backingId) {
    Node node = byId.get(nodeId);
    if (node == null) {
      return 0;
    }
    if (node.backingId == 0) {
      if (node.opens > 1) {
        return 0;
      }
      node.backingId = backingId;
      node.closeBackingWhenIdle = false;
    }
    return node.backingId;
  }

  /**
   * Takes the backing file IDs of the nodes inside ref {@code refId} that no file has open (the
   * ref goes: closed files stop pinning the layer's files); nodes with open files give theirs up
   * at the last release.
   */
  synchronized List<Integer> takeBackingsOf(String refId) {
    List<Integer> taken = new ArrayList<>();
    for (Node node : byId.values()) {
      if (node.backingId == 0 || !node.hasPaths()
          || !node.firstPath().insideRef() || !refId.equals(node.firstPath().refId())) {
        continue;
      }
      if (node.opens == 0) {
        taken.add(node.backingId);
        node.backingId = 0;
      } else {
        node.closeBackingWhenIdle = true;
      }
    }
    return taken;
  }

  /** Backing file IDs of nodes dropped since the last call, to close. */
  synchronized List<Integer> takeUnusedBackings() {
    if (unusedBackings.isEmpty()) {
      return List.of();
    }
    List<Integer> taken = new ArrayList<>(unusedBackings);
    unusedBackings.clear();
    return taken;
  }

  /**
   * The kernel forgot {@code lookups} of its references to {@code nodeId}.
   *
   * @return the kept unlinked file to let go now that the kernel holds the node no more (only
   *         where looked-up files count as open), or null
   */
  synchronized MountPath forget(long nodeId, long lookups) {
    Node node = byId.get(nodeId);
    if (node == null || node.id == FuseKernel.ROOT_ID) {
      return null;
    }
    node.lookups -= lookups;
    if (!dropIfUnused(node)) {
      return null;
    }
    MountPath kept = node.unlinkedAt;
    node.unlinkedAt = null;
    return kept;
  }

  /** A name in a directory the kernel knows, for an invalidation. */
  record Name(long parentId, String name) {
  }

  /**
   * The names in ref {@code refId} of those of {@code nodeIds} that have one, each in its
   * parent's node, deepest first.
   */
  synchronized List<Name> namesInRef(Iterable<Long> nodeIds, String refId) {
    List<Name> names = new ArrayList<>();
    List<Integer> depths = new ArrayList<>();
    for (long id : nodeIds) {
      Node node = byId.get(id);
      if (node == null) {
        continue;
      }
      for (MountPath path : node.paths()) {
        if (!path.insideRef() || !refId.equals(path.refId())) {
          continue;
        }
        int slash = path.relative().lastIndexOf('/');
        MountPath parent = MountPath.inRef(refId, slash < 0 ? "" : path.relative().substring(0, slash));
        Node dir = byPath.get(parent);
        if (dir != null) {
          names.add(new Name(dir.id, path.relative().substring(slash + 1)));
          depths.add(path.relative().split("/").length);
        }
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      order.add(i);
    }
    order.sort((a, b) -> Integer.compare(depths.get(b), depths.get(a)));
    List<Name> deepestFirst = new ArrayList<>();
    for (int i : order) {
      deepestFirst.add(names.get(i));
    }
    return deepestFirst;
  }

  /**
   * The nodes of files (not directories) of ref {@code refId} the kernel holds, with a name in it
   * or kept after their unlink.
   */
  synchronized List<Long> filesInRef(String refId) {
    List<Long> files = new ArrayList<>();
    for (Node node : byId.values()) {
      if (node.directory) {
        continue;
      }
      MountPath at = node.hasPaths() ? node.firstPath() : node.unlinkedAt;
      if (at != null && refId.equals(at.refId())) {
        files.add(node.id);
      }
    }
    return files;
  }

  /** Whether {@code nodeId} is still known (the kernel holds it, or a file of it is open). */
  synchronized boolean contains(long nodeId) {
    return byId.containsKey(nodeId);
  }

  synchronized int size() {
    return byId.size();
  }

  /** Drops {@code node} if nothing holds it any more: whether it did. */
  private boolean dropIfUnused(Node node) {
    if (node.lookups > 0 || node.opens > 0 || node.id == FuseKernel.ROOT_ID) {
      return false;
    }
    byId.remove(node.id);
    if (node.backingId != 0) {
      unusedBackings.add(node.backingId);
      node.backingId = 0;
    }
    for (MountPath path : node.paths()) {
      byPath.remove(path, node);
    }
    node.clearPaths();
    if (node.linkKey != null) {
      byLink.remove(node.linkKey, node);
    }
    return true;
  }

  private static LinkKey linkKey(MountPath path, long ino) {
    return new LinkKey(path.refId(), ino);
  }

  private void detach(Node node, MountPath path) {
    node.removePath(path);
    byPath.remove(path, node);
    if (!node.hasPaths() && node.linkKey != null) {
      byLink.remove(node.linkKey, node);
    }
  }

}
