package org.refcache.fuse;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's nodes by their ID: an open-addressing table of {@code long} keys (linear probing,
 * deletion by shifting back), in place of a {@code HashMap<Long, Node>}. The table holds a node
 * for every inode the kernel holds, 200 000 after a walk of a large merge, and a map entry and a
 * boxed key each were two more objects (56 bytes) per node for the collector to trace on every
 * cycle (docs/PERFORMANCE.md, "The merge walk, third pass").
 *
 * <p>Not thread-safe: {@link NodeTable} guards it. Node IDs are never 0 (0 marks an empty slot).
 */
final class NodesById {
  private static final int INITIAL_CAPACITY = 64;

  private long[] ids = new long[INITIAL_CAPACITY];
  private NodeTable.Node[] nodes = new NodeTable.Node[INITIAL_CAPACITY];
  private int size;

  NodeTable.Node get(long id) {
    int mask = ids.length - 1;
    for (int i = slot(id, mask); ids[i] != 0; i = (i + 1) & mask) {
      if (ids[i] == id) {
        return nodes[i];
      }
    }
    return null;
  }

  boolean containsKey(long id) {
    return get(id) != null;
  }

  /** Adds {@code node} under its ID, replacing any node of that ID. */
  void put(NodeTable.Node node) {
    if (node.id == 0) {
      throw new IllegalArgumentException("node ID 0");
    }
    if ((size + 1) * 3L > ids.length * 2L) { // at most two thirds full
      grow();
    }
    insert(node);
  }

  /** Removes the node of {@code id}, if any. */
  void remove(long id) {
    int mask = ids.length - 1;
    int i = slot(id, mask);
    while (ids[i] != id) {
      if (ids[i] == 0) {
        return;
      }
      i = (i + 1) & mask;
    }
    // Shift back the entries after it that probed past slot i, so that no search stops early.
    int gap = i;
    for (int j = (gap + 1) & mask; ids[j] != 0; j = (j + 1) & mask) {
      int home = slot(ids[j], mask);
      // Entry j may move to the gap if its home is not in (gap, j] (cyclically).
      boolean homeBetween = gap <= j ? gap < home && home <= j : gap < home || home <= j;
      if (!homeBetween) {
        ids[gap] = ids[j];
        nodes[gap] = nodes[j];
        gap = j;
      }
    }
    ids[gap] = 0;
    nodes[gap] = null;
    size--;
  }

  int size() {
    return size;
  }

  /** The nodes, in no particular order (a copy: the caller may change the table meanwhile). */
  List<NodeTable.Node> values() {
    List<NodeTable.Node> all = new ArrayList<>(size);
    for (NodeTable.Node node : nodes) {
      if (node != null) {
        all.add(node);
      }
    }
    return all;
  }

  private void insert(NodeTable.Node node) {
    int mask = ids.length - 1;
    int i = slot(node.id, mask);
    while (ids[i] != 0 && ids[i] != node.id) {
      i = (i + 1) & mask;
    }
    if (ids[i] == 0) {
      size++;
    }
    ids[i] = node.id;
    nodes[i] = node;
  }

  private void grow() {
    NodeTable.Node[] old = nodes;
    ids = new long[old.length * 2];
    nodes = new NodeTable.Node[old.length * 2];
    size = 0;
    for (NodeTable.Node node : old) {
      if (node != null) {
        insert(node);
      }
    }
  }

  /** IDs are mostly consecutive: spread them (Fibonacci hashing) so runs do not cluster. */
  private static int slot(long id, int mask) {
    return (int) ((id * 0x9E3779B97F4A7C15L) >>> 32) & mask;
  }
}
