package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * One layer's directory that contributes to a merged directory.
 *
 * @param layerIndex as in {@link Node#layerIndex()}
 * @param real       the directory in that layer (for a change set, the upper's directory that
 *                   answers for it)
 * @param source     where its entries come from when it is not the directory {@code real} on disk
 *                   (a change set); null for a directory on disk
 */
record Branch(int layerIndex, Path real, BranchSource source) {

  /** A directory on disk. */
  Branch(int layerIndex, Path real) {
    this(layerIndex, real, null);
  }

  /**
   * An entry of a layer's directory: the real file that answers for it, and its {@code lstat}
   * (a whiteout is a character device 0/0, whether on disk or not).
   */
  record Entry(Path real, Stat stat) {
  }

  /** The root of layer {@code layerIndex}, made of {@code layer}. */
  static Branch root(int layerIndex, TreeLayer layer) {
    if (layer instanceof TreeLayer.Changes changes) {
      return new ChangeSet(changes.lower(), changes.upper()).root(layerIndex);
    }
    if (layer instanceof TreeLayer.Lazy lazy) {
      return new Branch(layerIndex, lazy.dir(), new LazyLayer(lazy));
    }
    return new Branch(layerIndex, layer.dir());
  }

  /** Whether reading this directory needs no layer to be unpacked first. */
  boolean isReady() {
    return source == null || source.isReady();
  }

  /** The entry {@code name} in this directory, or empty when this layer has none. */
  Optional<Entry> child(String name) throws IOException {
    if (source != null) {
      return source.child(this, name);
    }
    Stat found = Posix.lstatChild(real, name); // no path made for a name that is not here
    return found == null ? Optional.empty() : Optional.of(new Entry(real.resolve(name), found));
  }

  /**
   * A descriptor of this directory for {@link Posix#lstatAt}, to be closed by the caller
   * ({@link org.refcache.posix.Descriptors#close}); -1 when it is not a directory on disk or cannot
   * be opened (then each entry is read by its path).
   */
  int openForListing() {
    return source != null ? -1 : Posix.openDirectoryForStat(real);
  }

  /** The names in this directory, whiteouts included. */
  List<String> names() throws IOException {
    return source != null ? source.names(this) : LayerFiles.childNames(real);
  }

  /** The branch of the directory {@code entry}, which {@link #child} gave for {@code name}. */
  Branch descend(String name, Entry entry) {
    return source != null ? source.descend(this, name, entry) : new Branch(layerIndex, entry.real());
  }

  /**
   * The names in this directory with their {@code d_type} ({@link Posix#listTyped}), whiteouts
   * included; false without reading anything when the directory is not one on disk (a change set
   * or a lazy layer: their names come from {@link #names} and their types from {@link #child}).
   */
  boolean typedNames(Posix.TypedNames into) throws IOException {
    if (source != null) {
      return false;
    }
    Posix.listTyped(real, into);
    return true;
  }

  /** Whether this directory is opaque: the directories below it do not show through. */
  boolean isOpaque() throws IOException {
    return source != null ? source.isOpaque(this) : LayerFiles.isOpaque(real);
  }

  /** This directory itself, as a layer's root shows it. */
  Entry itself() throws IOException {
    return source != null ? source.itself(this) : new Entry(real, Posix.lstat(real));
  }
}
