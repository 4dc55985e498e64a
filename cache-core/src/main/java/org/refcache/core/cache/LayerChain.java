package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.refcache.core.digest.Digest;

/**
 * What a record's tree is made of, as the {@link Materializer} takes it: every record of the tree,
 * parents before children (the order in which their layers are materialized), each with the
 * providers its blob may be fetched with, and the layer directories of the union, bottom to top.
 *
 * <p>Made from the record's parents, which never change, so it needs no lock. A record appears once
 * per path to it (a merge of two refs on one base lists the base twice); materializing it again is a
 * no-op.
 */
final class LayerChain {
  /**
   * One record of the tree.
   *
   * @param handlers the providers for its blob: the handle's, then those its children's handles on it
   *     brought
   */
  record Layer(CacheRecord rec, Map<Digest, DescHandler> handlers) {
  }

  private final CacheRecord top;
  private final boolean withTop;
  private final List<Layer> layers;

  private LayerChain(CacheRecord top, boolean withTop, List<Layer> layers) {
    this.top = top;
    this.withTop = withTop;
    this.layers = List.copyOf(layers);
  }

  /** The tree of {@code rec}: its parents' trees, then its own layer. */
  static LayerChain of(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Layer> out = new ArrayList<>();
    walk(rec, handlers, out);
    return new LayerChain(rec, true, out);
  }

  /** The trees of {@code rec}'s parents only: what a mutable's upper directory lies on. */
  static LayerChain below(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Layer> out = new ArrayList<>();
    for (ImmutableHandle p : rec.parents.handles()) {
      walk(p.rec, RefOptions.merge(handlers, p.descHandlers), out);
    }
    return new LayerChain(rec, false, out);
  }

  private static void walk(CacheRecord rec, Map<Digest, DescHandler> handlers, List<Layer> out) {
    for (ImmutableHandle p : rec.parents.handles()) {
      walk(p.rec, RefOptions.merge(handlers, p.descHandlers), out);
    }
    out.add(new Layer(rec, handlers));
  }

  /** Every record of the tree, parents first. */
  List<Layer> layers() {
    return layers;
  }

  /**
   * The layer directories of the union, bottom to top, each once.
   *
   * @throws InvalidRefException when a diff is part of the tree (not served as a tree yet)
   */
  List<Path> dirs() {
    return withTop ? dirsOf(top) : parentDirs(top);
  }

  private static List<Path> parentDirs(CacheRecord rec) {
    List<Path> out = new ArrayList<>();
    for (ImmutableHandle p : rec.parents.handles()) {
      out.addAll(dirsOf(p.rec));
    }
    return out;
  }

  private static List<Path> dirsOf(CacheRecord rec) {
    if (rec.kind() == RefKind.DIFF) {
      throw new InvalidRefException("diff ref " + rec.id + " cannot be served as a tree yet");
    }
    LinkedHashSet<Path> out = new LinkedHashSet<>(parentDirs(rec));
    if (rec.layerDir != null) {
      // A layer repeated higher up wins: move it to the top.
      out.remove(rec.layerDir);
      out.add(rec.layerDir);
    }
    return new ArrayList<>(out);
  }
}
