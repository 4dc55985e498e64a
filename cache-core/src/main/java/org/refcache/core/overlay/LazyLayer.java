package org.refcache.core.overlay;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.refcache.posix.Posix;

/**
 * The root of a {@link TreeLayer.Lazy} layer: unpacked on the first read, then a directory on disk
 * like any other (its subdirectories are plain branches).
 */
final class LazyLayer implements BranchSource {
  private final TreeLayer.Lazy layer;
  private volatile boolean ready;

  LazyLayer(TreeLayer.Lazy layer) {
    this.layer = layer;
  }

  private Branch unpacked(Branch dir) throws IOException {
    if (!ready) {
      layer.unpack().run();
      ready = true;
    }
    return new Branch(dir.layerIndex(), dir.real());
  }

  @Override
  public Optional<Branch.Entry> child(Branch dir, String name) throws IOException {
    return unpacked(dir).child(name);
  }

  @Override
  public List<String> names(Branch dir) throws IOException {
    return unpacked(dir).names();
  }

  @Override
  public Branch descend(Branch dir, String name, Branch.Entry entry) {
    return new Branch(dir.layerIndex(), entry.real());
  }

  @Override
  public boolean isOpaque(Branch dir) throws IOException {
    return unpacked(dir).isOpaque();
  }

  @Override
  public Branch.Entry itself(Branch dir) throws IOException {
    unpacked(dir);
    return new Branch.Entry(dir.real(), Posix.lstat(dir.real()));
  }

  @Override
  public boolean isReady() {
    return ready;
  }

  @Override
  public String toString() {
    return (ready ? "unpacked layer " : "layer to unpack ") + layer.dir();
  }
}
