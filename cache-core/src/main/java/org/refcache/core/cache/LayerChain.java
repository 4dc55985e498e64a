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
    List<Path> out = parentDirs(rec);
    if (rec.layerDir != null) {
      out.add(rec.layerDir);
    }
    return topmostOccurrences(out);
  }

  /**
   * {@code bottomUp} with each element once, where it occurs highest: stacking a layer again above
   * others gives the same tree as having it there only (everything it has, it has again on top).
   */
  static <T> List<T> topmostOccurrences(List<T> bottomUp) {
    LinkedHashSet<T> seen = new LinkedHashSet<>();
    for (int i = bottomUp.size() - 1; i >= 0; i--) {
      seen.add(bottomUp.get(i));
    }
    List<T> out = new ArrayList<>(seen);
    java.util.Collections.reverse(out);
    return out;
  }

  /**
   * Spec 1.5 layerWalk: the records that are actual layers (each one blob), bottom to top. A merge
   * contributes its inputs' walks in order; a diff the upper when it is one layer on the lower (or a
   * base layer over nothing), else itself (a change set of its own).
   */
  static List<CacheRecord> layerWalk(CacheRecord rec) {
    List<CacheRecord> out = new ArrayList<>();
    layerWalk(rec, out);
    return out;
  }

  private static void layerWalk(CacheRecord r, List<CacheRecord> out) {
    switch (r.kind()) {
      case BASE_LAYER -> out.add(r);
      case LAYER -> {
        layerWalk(((Parents.Layer) r.parents).parent().rec, out);
        out.add(r);
      }
      case MERGE -> {
        for (ImmutableHandle p : r.parents.handles()) {
          layerWalk(p.rec, out);
        }
      }
      case DIFF -> out.add(reusedUpper((Parents.Diff) r.parents).orElse(r));
    }
  }

  /**
   * The upper of a diff whose change set is the upper's own layer: it lies directly on the lower,
   * or it is a base layer and the lower is nothing (spec 5.2).
   */
  static java.util.Optional<CacheRecord> reusedUpper(Parents.Diff d) {
    if (d.upper() == null) {
      return java.util.Optional.empty();
    }
    CacheRecord upper = d.upper().rec;
    if (d.lower() == null) {
      return upper.kind() == RefKind.BASE_LAYER ? java.util.Optional.of(upper) : java.util.Optional.empty();
    }
    if (upper.parents instanceof Parents.Layer l && l.parent().rec.id.equals(d.lower().rec.id)) {
      return java.util.Optional.of(upper);
    }
    return java.util.Optional.empty();
  }
}
