package org.refcache.core.overlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.refcache.core.layer.ReadableTree;

/**
 * A union ({@link OverlayTree}, read-only or writable) as a tree a layer writer reads: each path
 * answered by the real file that holds it in its layer, each directory by its merged listing. This
 * is how a diff of two refs reads them without mounting or copying anything.
 */
public final class OverlayReadableTree implements ReadableTree {
  private final OverlayTree tree;

  /** Reads {@code tree}, which must not change while a layer is written from it. */
  public OverlayReadableTree(OverlayTree tree) {
    this.tree = Objects.requireNonNull(tree, "tree");
  }

  @Override
  public Optional<Entry> entry(String path) throws IOException {
    try {
      return tree.resolve(path).map(node -> new Entry(node.real(), node.stat()));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public List<String> list(String dir) throws IOException {
    List<DirEntry> entries = tree.list(dir);
    List<String> names = new ArrayList<>(entries.size());
    for (DirEntry e : entries) {
      names.add(e.name());
    }
    return names;
  }

  @Override
  public String toString() {
    return "union of " + tree.layers();
  }
}
