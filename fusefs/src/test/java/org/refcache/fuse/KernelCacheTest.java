package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.LayerBuilder;

/**
 * Which files keep the kernel's page cache across opens. Observed by changing a backing file
 * behind the mount's back (which the view's contract forbids, and which makes the cache visible):
 * a kept cache still shows the old bytes at the next open. Run with opens answered per request
 * (passthrough) and without (every file keeps FUSE's pages), each test asserting what its mode does.
 */
@ParameterizedClass(name = "opens without requests: {0}")
@ValueSource(booleans = {false, true})
class KernelCacheTest {

  private final boolean opensWithoutRequests;

  KernelCacheTest(boolean opensWithoutRequests) {
    this.opensWithoutRequests = opensWithoutRequests;
  }

  @TempDir
  Path tmp;
  ViewFixture view;
  Path layer;

  @BeforeEach
  void setUp() throws IOException {
    view = new ViewFixture(tmp);
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("f", "cached v1")
        .file("big", BIG_V1);
  }

  /** A file the view offers for passthrough: larger than {@link FileHandles#CACHED_UP_TO}. */
  private static final String BIG_V1 = "cached v1\n".repeat(20_000);

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  private void mountWithLongTimeouts() throws IOException {
    // Long attribute timeouts, so an mtime change seen by the kernel does not drop the cache.
    view.mountAsGiven(FuseOptions.defaults().withOpensWithoutRequests(opensWithoutRequests)
        .withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5)));
  }

  private FuseMount mount() throws IOException {
    return view.mountAsGiven(FuseOptions.defaults().withOpensWithoutRequests(opensWithoutRequests));
  }

  /**
   * Passthrough: the kernel reads a read-only ref's large file from the layer file itself, so there
   * is one page cache (the layer file's, as under kernel overlayfs) and no copy of it in FUSE's.
   */
  @Test
  void largeFilesOfReadOnlyRefsAreReadByTheKernelStraightFromTheLayer() throws IOException {
    view.addReadOnly("ro", layer);
    mountWithLongTimeouts();
    boolean noOpens = view.mounted().opensWithoutRequests();
    // Passthrough needs an OPEN to answer: with opens without requests there is none.
    assertThat(view.mounted().passthrough()).as("passthrough negotiated (Linux 6.9+)")
        .isEqualTo(!noOpens);
    assertThat(Files.readString(view.ref("ro").resolve("big"))).isEqualTo(BIG_V1);

    overwriteBehindTheMountsBack(layer.resolve("big"), "cached v2");

    // Passthrough reads the layer file itself; without it, FUSE's pages of the file are kept.
    String again = Files.readString(view.ref("ro").resolve("big"));
    if (noOpens) {
      assertThat(again).isEqualTo(BIG_V1);
    } else {
      assertThat(again).startsWith("cached v2\n");
    }
  }

  /**
   * Small files of read-only refs are not passed through: FUSE's page cache keeps their content
   * across opens, so a second read takes no READ (and marks no atime stale: see
   * {@link #aSecondTarOfSmallFilesAsksForNoAttributes}).
   */
  @Test
  void smallFilesOfReadOnlyRefsKeepTheirPagesAcrossOpens() throws IOException {
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");

    overwriteBehindTheMountsBack(layer.resolve("f"), "cached v2");
    long reads = mount.served(org.refcache.fuse.kernel.FuseKernel.READ);

    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");
    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.READ)).isEqualTo(reads);
  }

  /**
   * The GETATTR per file that a warm {@code tar} sent: after every passthrough read the kernel
   * marks the inode's atime stale and {@code tar}'s {@code fstat} asks again; reads from FUSE's
   * page cache do not. A second pass over 50 small files asks for no file's attributes.
   */
  @Test
  void aSecondTarOfSmallFilesAsksForNoAttributes() throws Exception {
    LayerBuilder files = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    for (int i = 0; i < 50; i++) {
      files.file("d/f" + i, "content " + i);
    }
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    List<String> tar = List.of("sh", "-c",
        "tar -cf - -C " + view.ref("ro").resolve("d") + " . | cat > /dev/null");
    run(tar);
    long getattrs = mount.served(org.refcache.fuse.kernel.FuseKernel.GETATTR);
    long opens = mount.served(org.refcache.fuse.kernel.FuseKernel.OPEN);

    run(tar);

    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.OPEN) - opens)
        .as("OPENs of the second pass").isEqualTo(mount.opensWithoutRequests() ? 0 : 50);
    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.GETATTR) - getattrs)
        .as("GETATTRs of the second pass").isLessThan(5);
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(command + ": " + out).isZero();
  }

  @Test
  void laterOpensOfAPassthroughFileTakeNoHandleAndOutliveTheirRef() throws IOException {
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    assertThat(Files.readString(view.ref("ro").resolve("big"))).isEqualTo(BIG_V1);
    view.awaitAllReleased();

    try (var in = Files.newByteChannel(view.ref("ro").resolve("big"))) {
      // Passthrough: none; opens without requests: the node's file the first read opened.
      assertThat(mount.openFiles()).as("handles of ours for the second open")
          .isEqualTo(mount.opensWithoutRequests() ? 1 : 0);
      view.source.remove("ro");
      mount.invalidate("ro");
      ByteBuffer buf = ByteBuffer.allocate(32);
      int n = in.read(buf);
      assertThat(new String(buf.array(), 0, n, StandardCharsets.UTF_8)).startsWith("cached v1");
      ((FileChannel) in).force(true); // fsync of an open without a handle of ours: nothing dirty
    }
    assertThat(Files.exists(view.ref("ro").resolve("big"))).isFalse();
  }

  /** The service invalidates a ref that stays (a repeated import of its layer does). */
  @Test
  void aFileOpenWhileItsRefIsInvalidatedCanBeOpenedAgain() throws IOException {
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    try (var first = Files.newByteChannel(view.ref("ro").resolve("f"))) {
      mount.invalidate("ro");
      for (int i = 0; i < 3; i++) {
        assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");
      }
      ByteBuffer buf = ByteBuffer.allocate(32);
      assertThat(first.read(buf)).isEqualTo("cached v1".length());
    }
  }

  @Test
  void underLibfuseFilesOfReadOnlyRefsKeepTheirPagesAcrossOpens() throws IOException {
    view.addReadOnly("ro", layer);
    view.mount(FuseOptions.defaults().withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5))
        .withTransport(FuseOptions.Transport.LIBFUSE));
    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");

    overwriteBehindTheMountsBack(layer.resolve("f"), "cached v2");

    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");
  }

  @Test
  void filesOfFrozenTreesKeepTheirPagesAcrossOpens() throws IOException {
    WritableOverlayTree tree = view.addWritable("w", layer);
    mountWithLongTimeouts();
    Files.writeString(view.ref("w").resolve("f"), "cached v1");
    tree.freeze();
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("cached v1");

    overwriteBehindTheMountsBack(tree.upper().resolve("f"), "cached v2");

    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("cached v1");
  }

  @Test
  void filesOfWritableTreesAreReadAfreshAtEachOpen() throws IOException {
    WritableOverlayTree tree = view.addWritable("w", layer);
    mountWithLongTimeouts();
    Files.writeString(view.ref("w").resolve("f"), "cached v1");
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("cached v1");

    overwriteBehindTheMountsBack(tree.upper().resolve("f"), "cached v2");

    // With OPEN requests each open drops the pages; without, every file keeps them (a change
    // behind the mount's back, which the design forbids, is then not seen).
    assertThat(Files.readString(view.ref("w").resolve("f")))
        .isEqualTo(view.mounted().opensWithoutRequests() ? "cached v1" : "cached v2");
  }

  @Test
  void namesInsideAReleasedRefGoAtOnceThoughTheyAreCachedForLong() throws IOException {
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("cached v1");

    view.source.remove("ro");
    mount.invalidate("ro");

    assertThat(Files.exists(view.ref("ro").resolve("f"))).isFalse();
    assertThat(Files.exists(view.ref("ro"))).isFalse();
  }

  @Test
  void aWalkThatStatsWhatItListsNeedsNoLookupPerEntry() throws IOException {
    LayerBuilder many = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    for (int i = 0; i < 200; i++) {
      many.file("many-" + i, "x");
    }
    view.addReadOnly("ro", layer);
    FuseMount mount = mount();
    Files.exists(view.ref("ro").resolve("f")); // the ref is open: its tree cannot change
    long lookupsBefore = mount.served(org.refcache.fuse.kernel.FuseKernel.LOOKUP);

    long statted;
    try (java.util.stream.Stream<Path> walk = Files.walk(view.ref("ro"))) {
      statted = walk.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .count();
    }

    assertThat(statted).isEqualTo(202); // f, big and the 200
    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.READDIRPLUS)).isPositive();
    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.LOOKUP) - lookupsBefore)
        .as("lookups for 202 listed files").isLessThan(10);
  }

  @Test
  void aMissingNameInsideARefIsAskedForOnceAndAppearsWhenMade() throws IOException {
    view.addWritable("w", layer);
    FuseMount mount = mount();
    Path missing = view.ref("w").resolve("missing.h");
    assertThat(Files.exists(missing)).isFalse();
    long lookups = mount.served(org.refcache.fuse.kernel.FuseKernel.LOOKUP);

    for (int i = 0; i < 10; i++) {
      assertThat(Files.exists(missing)).isFalse();
    }
    assertThat(mount.served(org.refcache.fuse.kernel.FuseKernel.LOOKUP)).isEqualTo(lookups);

    Files.writeString(missing, "now here");
    assertThat(Files.readString(missing)).isEqualTo("now here");
    assertThat(Files.exists(view.ref("not-yet"))).isFalse();
    view.addReadOnly("not-yet", layer);
    assertThat(Files.exists(view.ref("not-yet"))).as("a new ref shows at once").isTrue();
  }

  /** Same size, in place: only the page cache can tell the versions apart. */
  private static void overwriteBehindTheMountsBack(Path real, String content) throws IOException {
    try (FileChannel ch = FileChannel.open(real, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }
}
