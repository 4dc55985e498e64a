package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.Mounts;

/**
 * A mounted view over trees built by hand under one test directory: layer directories, uppers
 * ({@code <dir>/uppers/<id>}) and the mountpoint ({@code <dir>/mnt}). Public for the POSIX suite
 * ({@code org.refcache.fuse.posix}), which mounts a writable tree through it. {@link #close()} unmounts, checks that every lease was released, and detaches
 * anything still mounted under the directory, so no test leaves a mount behind.
 */
public final class ViewFixture implements AutoCloseable {

  final Path dir;
  final Path mountpoint;
  final TestRefSource source = new TestRefSource();
  /** The transport every mount of this fixture uses, or null: the options say. */
  private final FuseOptions.Transport transport;
  private FuseMount mount;

  public ViewFixture(Path dir) throws IOException {
    this(dir, null);
  }

  /** A fixture whose mounts all use {@code transport}, whatever options a test passes. */
  ViewFixture(Path dir, FuseOptions.Transport transport) throws IOException {
    this.dir = dir.toAbsolutePath();
    this.mountpoint = Files.createDirectories(this.dir.resolve("mnt"));
    this.transport = transport;
  }

  /** A new, empty layer directory. */
  Path layer(String name) throws IOException {
    return Files.createDirectories(dir.resolve("layers").resolve(name));
  }

  /** Serves a read-only union of {@code layersTopFirst} as ref {@code id}. */
  OverlayTree addReadOnly(String id, Path... layersTopFirst) {
    OverlayTree tree = new OverlayTree(List.of(layersTopFirst));
    source.add(id, tree);
    return tree;
  }

  /** Serves a writable tree (a new upper over {@code lowersTopFirst}) as ref {@code id}. */
  public WritableOverlayTree addWritable(String id, Path... lowersTopFirst) throws IOException {
    Path upper = Files.createDirectories(dir.resolve("uppers").resolve(id));
    WritableOverlayTree tree = new WritableOverlayTree(upper, List.of(lowersTopFirst));
    source.add(id, tree);
    return tree;
  }

  FuseMount mount() throws IOException {
    return mount(FuseOptions.defaults());
  }

  /**
   * Environment {@code REFCACHE_TEST_OPENS_WITHOUT_REQUESTS}: {@code 1} runs every view test with
   * opens that take no request ({@link FuseOptions#opensWithoutRequests}), {@code 0} with opens
   * answered per request, whatever its options say (but {@link #mountAsGiven}): a check of either
   * mode against the whole suite. Unset: each test's options.
   */
  static final String OPENS_WITHOUT_REQUESTS = System.getenv("REFCACHE_TEST_OPENS_WITHOUT_REQUESTS");

  /**
   * Environment {@code REFCACHE_TEST_URING}: {@code 1} runs every view test with FUSE over
   * io_uring asked for ({@link FuseOptions#uring}; the kernel needs {@code fuse.enable_uring=1}),
   * {@code 0} without, whatever its options say, {@link #mountAsGiven} included (the ring must not
   * change what the view does; only {@link #mountExactly} ignores it). With {@code 1}, closing a
   * kernel-transport mount checks that requests did come through the ring. Unset: each test's
   * options.
   */
  static final String URING = System.getenv("REFCACHE_TEST_URING");

  public FuseMount mount(FuseOptions options) throws IOException {
    FuseOptions chosen = options;
    if ("0".equals(OPENS_WITHOUT_REQUESTS) || "1".equals(OPENS_WITHOUT_REQUESTS)) {
      chosen = chosen.withOpensWithoutRequests("1".equals(OPENS_WITHOUT_REQUESTS));
    }
    return mountAsGiven(chosen);
  }

  /**
   * Mounts with {@code options} as given, for tests of one mode: no environment overrides it but
   * {@code REFCACHE_TEST_URING}.
   */
  public FuseMount mountAsGiven(FuseOptions options) throws IOException {
    FuseOptions chosen = options;
    if ("0".equals(URING) || "1".equals(URING)) {
      chosen = chosen.withUring("1".equals(URING));
    }
    return mountExactly(chosen);
  }

  /** Mounts with exactly {@code options} (tests of the transport's own modes). */
  public FuseMount mountExactly(FuseOptions options) throws IOException {
    FuseOptions chosen = transport == null ? options : options.withTransport(transport);
    mount = FuseMount.mount(source, mountpoint, chosen);
    ringExpected = "1".equals(URING) && chosen.uring()
        && mount.transport() == FuseOptions.Transport.KERNEL;
    return mount;
  }

  /** Whether closing checks that requests came through the ring (see {@link #URING}). */
  private boolean ringExpected;

  /** The mount made by {@link #mount()}, or null. */
  FuseMount mounted() {
    return mount;
  }

  /**
   * Waits (up to 5 s) until no file is open through the mount: the kernel releases a closed file
   * after {@code close(2)} has returned.
   */
  void awaitAllReleased() {
    awaitOpenFiles(0);
  }

  /**
   * Waits (up to 5 s) until at most {@code left} files are open through the mount: the kernel
   * releases a closed file, and forgets a node (whose file opens without requests keep), a little
   * after the close.
   */
  void awaitOpenFiles(int left) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
    while (mount.openFiles() > left && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }

  /** {@code <mountpoint>/refs/<id>}. */
  public Path ref(String id) {
    return mountpoint.resolve("refs").resolve(id);
  }

  @Override
  public void close() throws IOException {
    try {
      if (mount != null) {
        long throughRing = mount.servedByRing();
        mount.close();
        if (ringExpected) {
          assertThat(throughRing).as("requests served through io_uring (REFCACHE_TEST_URING=1)")
              .isPositive();
        }
        assertThat(mount.isMounted()).isFalse();
        assertThat(source.leasesHeld()).as("leases still held after unmount").isZero();
      }
    } finally {
      List<Path> left = Mounts.detachAllUnder(dir);
      assertThat(left).as("mounts left behind").isEmpty();
    }
  }
}
