package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.refcache.core.digest.Digest;

/**
 * What a record's tree is made of, as the {@link Materializer} takes it: every record of the tree,
 * parents before children (the order in which their layers are materialized), each with the
 * providers its blob may be fetched with; and the layers of the union, bottom to top
 * ({@link #parts()}): records' own layer directories, and the change sets of diffs.
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

  /** One layer of the union. */
  sealed interface Part {
  }

  /** A record's own layer directory (an unpacked blob or a committed upper). */
  record Own(Layer layer) implements Part {
    Path dir() {
      return layer.rec().layerDir;
    }
  }

  /**
   * The change set of a diff that is not one layer of its upper (spec 5.2): the changes from the
   * lower's tree to the upper's, either null for scratch.
   */
  record Changes(CacheRecord diff, LayerChain lower, LayerChain upper) implements Part {
  }

  private final List<Layer> layers;
  private final List<Part> parts;

  private LayerChain(List<Layer> layers, List<Part> parts) {
    this.layers = List.copyOf(layers);
    this.parts = List.copyOf(parts);
  }

  /** The tree of {@code rec}: its parents' trees, then its own layer. */
  static LayerChain of(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Layer> out = new ArrayList<>();
    walk(rec, handlers, out);
    return new LayerChain(out, topmostParts(partsOf(rec, handlers)));
  }

  /** The trees of {@code rec}'s parents only: what a mutable's upper directory lies on. */
  static LayerChain below(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Layer> out = new ArrayList<>();
    for (ImmutableHandle p : rec.parents.handles()) {
      walk(p.rec, RefOptions.merge(handlers, p.descHandlers), out);
    }
    return new LayerChain(out, topmostParts(parentParts(rec, handlers)));
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

  /** The layers of the union, bottom to top, each once (where it is highest). */
  List<Part> parts() {
    return parts;
  }

  /**
   * Per part of {@link #parts()}, whether the copies in it may report the inode numbers of the
   * files they were copied from ({@link org.refcache.core.overlay.TreeLayer#showsOrigins}): not
   * when a layer it may have been copied from, a part of the tree its upper was written on,
   * stands above it. Only a merge stacks layers so (each once, where highest: a merge of a commit
   * and its own base puts the base above the commit's upper); in one chain, every part lies above
   * everything it was copied from.
   */
  boolean[] showsOrigins() {
    boolean[] shows = new boolean[parts.size()];
    Set<Path> above = new HashSet<>();
    for (int i = parts.size() - 1; i >= 0; i--) {
      Part part = parts.get(i);
      shows[i] = above.isEmpty() || java.util.Collections.disjoint(above, sources(part));
      above.addAll(shown(part));
    }
    return shows;
  }

  /** The layer directories whose files {@code part} shows: its own, or its upper tree's. */
  private static Set<Path> shown(Part part) {
    if (part instanceof Own own) {
      return Set.of(own.dir());
    }
    Changes changes = (Changes) part;
    Set<Path> out = new HashSet<>();
    if (changes.upper() != null) {
      for (Part p : changes.upper().parts()) {
        out.addAll(shown(p));
      }
    }
    return out;
  }

  /**
   * The layer directories the copies in {@code part} may have been copied from, directly or
   * through copies of copies: the layers of the tree a record's layer was written on, or of a
   * change set's two trees.
   */
  private static Set<Path> sources(Part part) {
    Set<Path> out = new HashSet<>();
    if (part instanceof Own own) {
      addAll(below(own.layer().rec(), Map.of()), out);
    } else {
      Changes changes = (Changes) part;
      if (changes.lower() != null) {
        addAll(changes.lower(), out);
      }
      if (changes.upper() != null) {
        addAll(changes.upper(), out);
      }
    }
    return out;
  }

  private static void addAll(LayerChain chain, Set<Path> out) {
    for (Part p : chain.parts()) {
      out.addAll(shown(p));
      if (p instanceof Changes) {
        out.addAll(sources(p));
      }
    }
  }

  private static List<Part> partsOf(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    if (rec.parents instanceof Parents.Diff d) {
      Optional<CacheRecord> reused = reusedUpper(d);
      if (reused.isPresent()) {
        return List.of(new Own(new Layer(reused.get(), RefOptions.merge(handlers, d.upper().descHandlers))));
      }
      return List.of(new Changes(rec,
          d.lower() == null ? null : of(d.lower().rec, RefOptions.merge(handlers, d.lower().descHandlers)),
          d.upper() == null ? null : of(d.upper().rec, RefOptions.merge(handlers, d.upper().descHandlers))));
    }
    List<Part> out = parentParts(rec, handlers);
    if (rec.layerDir != null) {
      out.add(new Own(new Layer(rec, handlers)));
    }
    return out;
  }

  private static List<Part> parentParts(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Part> out = new ArrayList<>();
    for (ImmutableHandle p : rec.parents.handles()) {
      out.addAll(partsOf(p.rec, RefOptions.merge(handlers, p.descHandlers)));
    }
    return out;
  }

  /** The parts once each, where highest: the same directory, or the same diff's change set. */
  private static List<Part> topmostParts(List<Part> bottomUp) {
    Map<Object, Part> byKey = new java.util.LinkedHashMap<>();
    List<Object> keys = new ArrayList<>(bottomUp.size());
    for (Part p : bottomUp) {
      Object key = p instanceof Own o ? o.dir() : ((Changes) p).diff().id;
      keys.add(key);
      byKey.put(key, p); // the topmost's providers
    }
    List<Part> out = new ArrayList<>();
    for (Object key : topmostOccurrences(keys)) {
      out.add(byKey.get(key));
    }
    return out;
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
  static Optional<CacheRecord> reusedUpper(Parents.Diff d) {
    if (d.upper() == null) {
      return Optional.empty();
    }
    CacheRecord upper = d.upper().rec;
    if (d.lower() == null) {
      return upper.kind() == RefKind.BASE_LAYER ? Optional.of(upper) : Optional.empty();
    }
    if (upper.parents instanceof Parents.Layer l && l.parent().rec.id.equals(d.lower().rec.id)) {
      return Optional.of(upper);
    }
    return Optional.empty();
  }
}
