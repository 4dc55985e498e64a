package org.refcache.fuse.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.fuse.FuseMount;
import org.refcache.fuse.FuseOptions;
import org.refcache.fuse.RefLease;
import org.refcache.fuse.RefTreeSource;
import org.refcache.testing.Mounts;

/**
 * The real FUSE view over writable trees built by hand, as {@code org.refcache.fuse.ViewFixture}
 * and {@code TestRefSource} do for the view's own tests (both are package-private there, so this
 * package has its own, through the view's public API). {@link #close()} unmounts, checks that the
 * view released every lease, and detaches whatever is still mounted under the test's directory, so
 * no mount outlives the test, whatever happened.
 */
final class PosixMount implements RefTreeSource, AutoCloseable {

  private final Path dir;
  private final Path mountpoint;
  private final Map<String, OverlayTree> trees = new ConcurrentHashMap<>();
  private final AtomicInteger leasesHeld = new AtomicInteger();
  private FuseMount mount;

  /** A mountpoint {@code <dir>/mnt}; nothing is mounted until {@link #mount}. */
  PosixMount(Path dir) throws IOException {
    this.dir = dir.toAbsolutePath();
    this.mountpoint = Files.createDirectories(this.dir.resolve("mnt"));
  }

  /** Serves a writable tree: {@code upper} (an existing, empty directory) over the lowers. */
  WritableOverlayTree addWritable(String id, Path upper, Path... lowersTopFirst) {
    WritableOverlayTree tree = new WritableOverlayTree(upper, List.of(lowersTopFirst));
    trees.put(id, tree);
    return tree;
  }

  /** Mounts the view with {@code options} (the daemon's: {@code FuseOptions.defaults()}). */
  void mount(FuseOptions options) throws IOException {
    mount = FuseMount.mount(this, mountpoint, options);
  }

  /** {@code <mountpoint>/refs/<id>}. */
  Path ref(String id) {
    return mountpoint.resolve("refs").resolve(id);
  }

  @Override
  public List<String> refIds() {
    return trees.keySet().stream().sorted().toList();
  }

  @Override
  public Optional<RefLease> open(String id) {
    OverlayTree tree = trees.get(id);
    if (tree == null) {
      return Optional.empty();
    }
    leasesHeld.incrementAndGet();
    return Optional.of(new RefLease() {
      private boolean closed;

      @Override
      public OverlayTree tree() {
        return tree;
      }

      @Override
      public synchronized void close() {
        if (closed) {
          throw new IllegalStateException("lease of " + id + " closed twice");
        }
        closed = true;
        leasesHeld.decrementAndGet();
      }
    });
  }

  @Override
  public void close() throws IOException {
    try {
      if (mount != null) {
        mount.close();
        assertThat(mount.isMounted()).isFalse();
        assertThat(leasesHeld.get()).as("leases still held after unmount").isZero();
      }
    } finally {
      assertThat(Mounts.detachAllUnder(dir)).as("mounts left behind under " + dir).isEmpty();
    }
  }
}
