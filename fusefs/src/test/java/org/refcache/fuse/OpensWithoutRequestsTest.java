package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.posix.Errno;
import org.refcache.testing.LayerBuilder;

/**
 * Opens that take no request ({@link FuseOptions#opensWithoutRequests}): what the kernel no
 * longer sends, and that files read and written by node behave as open files do (no stale reads
 * through other refs or kept descriptors, unlinked files kept while open, O_TRUNC, fsync, a ref
 * going while a file of it is open).
 */
class OpensWithoutRequestsTest {

  @TempDir
  Path tmp;
  ViewFixture view;
  Path layer;
  FuseMount mount;

  @BeforeEach
  void setUp() throws IOException {
    view = new ViewFixture(tmp);
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("f", "0123456789");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  private void mount() throws IOException {
    mount = view.mountAsGiven(FuseOptions.defaults().withOpensWithoutRequests(true));
  }

  private long served(int opcode) {
    return mount.served(opcode);
  }

  @Test
  void readingAnUnchangingTreeAgainSendsNoRequestPerFile() throws Exception {
    LayerBuilder files = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    for (int i = 0; i < 200; i++) {
      files.file("d" + (i % 10) + "/f" + i, "content " + i);
    }
    view.addReadOnly("ro", layer);
    mount();
    readAll(view.ref("ro"));
    // A READ marks the atime stale, so the next stat of each file asks once (a GETATTR).
    readAll(view.ref("ro"));

    // A pass that sends nothing per file. Up to four tries: another process on the machine may
    // drop the kernel's caches (drop_caches) between two passes, and then names and pages are
    // asked again (and the pass after that stats each file once more).
    long[] sent = null;
    for (int attempt = 0; attempt < 4 && (sent == null || sent[1] > 0 || sent[3] >= 5);
        attempt++) {
      long[] before = counts();
      readAll(view.ref("ro"));
      long[] after = counts();
      sent = new long[4];
      for (int i = 0; i < 4; i++) {
        sent[i] = after[i] - before[i];
      }
      assertThat(sent[0]).as("OPEN").isZero();
      assertThat(sent[2]).as("RELEASE").isZero();
    }
    assertThat(sent[1]).as("READ").isZero();
    assertThat(sent[3]).as("LOOKUP and GETATTR").isLessThan(5);
    assertThat(served(FuseKernel.OPEN)).as("the one OPEN answered ENOSYS").isEqualTo(1);
  }

  private long[] counts() {
    return new long[] {served(FuseKernel.OPEN), served(FuseKernel.READ),
        served(FuseKernel.RELEASE), served(FuseKernel.LOOKUP) + served(FuseKernel.GETATTR)};
  }

  private static void readAll(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> p.getFileName().toString().matches("f[0-9]+")).toList()) {
        assertThat(Files.readString(p)).startsWith("content ");
      }
    }
  }

  @Test
  void aChangeThroughAMutableRefIsSeenThroughKeptDescriptorsAndNotThroughItsParent()
      throws IOException {
    view.addReadOnly("parent", layer);
    view.addWritable("w", layer);
    mount();
    Path file = view.ref("w").resolve("f");
    try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
      assertThat(read(reader)).isEqualTo("0123456789");
      assertThat(Files.readString(view.ref("parent").resolve("f"))).isEqualTo("0123456789");

      Files.writeString(file, "new"); // O_TRUNC: a SETATTR of size 0 now, then a write by node

      assertThat(read(reader)).isEqualTo("new");
      assertThat(Files.readString(file)).isEqualTo("new");
      assertThat(Files.readString(view.ref("parent").resolve("f"))).isEqualTo("0123456789");
    }
  }

  @Test
  void aCommittedTwinAndAChildShowWhatTheMutableHeldAtTheCommit() throws IOException {
    WritableOverlayTree tree = view.addWritable("w", layer);
    mount();
    Path file = view.ref("w").resolve("f");
    assertThat(Files.readString(file)).isEqualTo("0123456789"); // cached by the kernel
    try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
      writer.write(ByteBuffer.wrap("ab".getBytes(StandardCharsets.UTF_8)), 0);
    }
    tree.freeze();
    view.addReadOnly("twin", tree.upper(), layer);
    WritableOverlayTree child = view.addWritable("child", tree.upper(), layer);

    assertThat(Files.readString(view.ref("twin").resolve("f"))).isEqualTo("ab23456789");
    assertThat(Files.readString(view.ref("child").resolve("f"))).isEqualTo("ab23456789");
    Files.writeString(view.ref("child").resolve("f"), "child's");
    assertThat(Files.readString(view.ref("twin").resolve("f"))).isEqualTo("ab23456789");
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("ab23456789");
    assertThat(Files.readString(child.upper().resolve("f"))).isEqualTo("child's");
  }

  @Test
  void aFileUnlinkedWhileOpenStaysReadableWritableAndStatableUntilTheKernelForgetsIt()
      throws IOException {
    view.addWritable("w", layer);
    mount();
    Path file = view.ref("w").resolve("f");
    try (FileChannel open = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      // Written before the unlink: the lower file was copied up (a lower file unlinked while
      // open for writing but not yet written is kept read-only: see docs/ARCHITECTURE.md).
      open.write(ByteBuffer.wrap("--".getBytes(StandardCharsets.UTF_8)), 4);
      Files.delete(file);
      assertThat(Files.exists(file)).isFalse();

      open.write(ByteBuffer.wrap("xy".getBytes(StandardCharsets.UTF_8)), 0);
      open.force(true);
      assertThat(open.size()).isEqualTo(10);
      assertThat(read(open)).isEqualTo("xy23--6789");
    }
    awaitNoFileKept();
  }

  @Test
  void aFileOfARefThatGoesStaysReadableWhileOpen() throws IOException {
    byte[] big = new byte[4 << 20];
    new java.util.Random(7).nextBytes(big);
    Files.write(layer.resolve("big"), big);
    view.addReadOnly("ro", layer);
    mount();
    try (InputStream in = Files.newInputStream(view.ref("ro").resolve("big"))) {
      assertThat(in.readNBytes(4096)).isEqualTo(java.util.Arrays.copyOf(big, 4096));

      view.source.remove("ro");
      mount.invalidate("ro");
      assertThat(Files.exists(view.ref("ro"))).isFalse();

      assertThat(in.readAllBytes())
          .isEqualTo(java.util.Arrays.copyOfRange(big, 4096, big.length));
    }
    awaitNoFileKept();
    assertThat(view.source.leasesHeld()).as("leases once the file is closed").isZero();
  }

  @Test
  void aFileOpenedButNotReadBeforeItsRefWentIsReadableAndTheDataGoesWhenTheKernelForgetsIt()
      throws Exception {
    byte[] big = new byte[1 << 20];
    new java.util.Random(11).nextBytes(big);
    Files.write(layer.resolve("big"), big);
    view.addReadOnly("ro", layer);
    mount();
    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("0123456789");
    try (InputStream unread = Files.newInputStream(view.ref("ro").resolve("big"))) {
      long reads = served(FuseKernel.READ);
      view.source.remove("ro");
      mount.invalidate("ro");
      assertThat(Files.exists(view.ref("ro"))).as("the ref's name").isFalse();
      assertThat(view.source.leasesHeld()).as("the data, while the kernel holds a file of it")
          .isEqualTo(1);

      assertThat(unread.readAllBytes()).isEqualTo(big);
      assertThat(served(FuseKernel.READ)).as("READs after the ref went").isGreaterThan(reads);
    }
    awaitNoFileKept();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (view.source.leasesHeld() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(view.source.leasesHeld()).as("leases once the kernel forgot the file").isZero();
    assertThat(mount.refsKeptForHeldFiles()).isZero();
  }

  @Test
  void aFirstSequentialReadAsksForAMebibyteAtATime() throws Exception {
    int mib = 16;
    byte[] big = new byte[mib << 20];
    new java.util.Random(5).nextBytes(big);
    Files.write(layer.resolve("big"), big);
    view.addReadOnly("ro", layer);
    mount();
    assertThat(MountReadahead.of(view.mountpoint)).as("the mount's readahead, KiB")
        .isEqualTo(MountReadahead.KIB);

    long reads = served(FuseKernel.READ);
    try (InputStream in = Files.newInputStream(view.ref("ro").resolve("big"))) {
      byte[] chunk = new byte[64 << 10]; // as cat or dd read: far less than the readahead
      int at = 0;
      for (int n; (n = in.read(chunk)) > 0; at += n) {
        assertThat(java.util.Arrays.equals(chunk, 0, n, big, at, at + n)).isTrue();
      }
      assertThat(at).isEqualTo(big.length);
    }
    // 128 KiB at a time would be 128 READs; the readahead window grows to 1 MiB from the first.
    assertThat(served(FuseKernel.READ) - reads).as("READ requests for %d MiB", mib)
        .isBetween((long) mib, 2L * mib);
  }

  @Test
  void writesToAReadOnlyRefFailWithReadOnlyFileSystemAtTheFirstWrite() throws IOException {
    view.addReadOnly("ro", layer);
    mount();
    Path file = view.ref("ro").resolve("f");
    assertThat(Files.readString(file)).isEqualTo("0123456789"); // its page is cached now
    assertThat(Errnos.of(() -> Files.writeString(file, "x"))).as("O_TRUNC")
        .isEqualTo(Errno.EROFS);
    try (FileChannel open = FileChannel.open(file, StandardOpenOption.WRITE)) {
      assertThat(Errnos.of(() -> open.write(ByteBuffer.wrap(new byte[] {'X'}), 0)))
          .isEqualTo(Errno.EROFS);
    }
    // The refused write had already gone into the cached page: the kernel drops that page.
    assertThat(Files.readString(file)).isEqualTo("0123456789");
  }

  /**
   * Once an OPEN was answered ENOSYS the kernel sends no RELEASE, for created files neither: a
   * handle kept per created file would never be let go (the daemon ran out of descriptors after
   * 20 000 creates). Created files are used by node, bounded, and go when the kernel forgets them.
   */
  @Test
  void filesCreatedAfterTheFirstOpenKeepNoHandleOnceTheKernelForgetsThem() throws Exception {
    view.addWritable("w", layer);
    mount();
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("0123456789"); // the ENOSYS
    Path dir = Files.createDirectory(view.ref("w").resolve("made"));
    int files = 200;
    for (int i = 0; i < files; i++) {
      Files.writeString(dir.resolve("f" + i), "content " + i);
    }
    assertThat(Files.readString(dir.resolve("f7"))).isEqualTo("content 7");
    assertThat(mount.openFiles()).as("handles of ours for closed created files")
        .isLessThanOrEqualTo(NodeFiles.CAPACITY);

    try (var list = Files.list(dir)) {
      for (Path p : list.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("0123456789");
    Files.delete(view.ref("w").resolve("f"));
    awaitNoFileKept();
  }

  /**
   * A file made by CREATE is written and read by node through the descriptor that made it: one
   * open of the real file per create, however it was opened (write-only here), and that
   * descriptor reads too (it is open for reading and writing).
   */
  @Test
  void aCreatedFileIsWrittenAndReadThroughTheDescriptorThatMadeIt() throws Exception {
    view.addWritable("w", layer);
    mount();
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("0123456789"); // the ENOSYS
    Path made = view.ref("w").resolve("made");
    long opened = mount.handlesOpened();
    try (FileChannel writer = FileChannel.open(made, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      writer.write(ByteBuffer.wrap("written once".getBytes(StandardCharsets.UTF_8)));
    }
    dropCachedPages(made); // the read below is a READ, by node
    assertThat(Files.readString(made)).isEqualTo("written once");
    assertThat(mount.handlesOpened() - opened).as("opens of the real file").isEqualTo(1);
  }

  /**
   * A create with {@code O_APPEND} appends through that open only: the file's other opens write
   * where they say (the descriptor the writes by node use is not an appending one).
   */
  @Test
  void aFileCreatedForAppendingIsWrittenInPlaceThroughAnotherOpen() throws Exception {
    view.addWritable("w", layer);
    mount();
    assertThat(Files.readString(view.ref("w").resolve("f"))).isEqualTo("0123456789"); // the ENOSYS
    Path made = view.ref("w").resolve("log");
    try (FileChannel appender = FileChannel.open(made, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      appender.write(ByteBuffer.wrap("abc".getBytes(StandardCharsets.UTF_8)));
      try (FileChannel writer = FileChannel.open(made, StandardOpenOption.WRITE)) {
        writer.write(ByteBuffer.wrap("X".getBytes(StandardCharsets.UTF_8)), 0);
      }
      appender.write(ByteBuffer.wrap("d".getBytes(StandardCharsets.UTF_8)));
    }
    dropCachedPages(made);
    assertThat(Files.readString(made)).isEqualTo("Xbcd");
  }

  private static void dropCachedPages(Path file) throws Exception {
    Process drop = new ProcessBuilder("python3", "-c",
        "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); "
            + "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", file.toString())
        .inheritIO().start();
    assertThat(drop.waitFor()).isZero();
  }

  @Test
  void filesKeptByNodeStayBoundedAndAnEvictedOneIsOpenedAgainWhenRead() throws Exception {
    byte[] first = new byte[256 << 10];
    new java.util.Random(3).nextBytes(first);
    Files.write(layer.resolve("first"), first);
    int others = NodeFiles.CAPACITY + 100;
    LayerBuilder many = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    for (int i = 0; i < others; i++) {
      many.file("many/f" + i, "content " + i);
    }
    view.addReadOnly("ro", layer);
    mount();
    Path firstFile = view.ref("ro").resolve("first");
    assertThat(Files.readAllBytes(firstFile)).isEqualTo(first);
    readAll(view.ref("ro").resolve("many"));
    assertThat(mount.openFiles()).as("node files kept").isLessThanOrEqualTo(NodeFiles.CAPACITY);

    // Drop the first file's cached pages: reading it again needs READs, through a new node file.
    Process drop = new ProcessBuilder("python3", "-c",
        "import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); "
            + "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", firstFile.toString())
        .inheritIO().start();
    assertThat(drop.waitFor()).isZero();
    long reads = served(FuseKernel.READ);
    assertThat(Files.readAllBytes(firstFile)).isEqualTo(first);
    assertThat(served(FuseKernel.READ)).as("READs after the pages were dropped")
        .isGreaterThan(reads);
  }

  /** Waits (up to 5 s) until the kernel forgot the closed files and their node files closed. */
  private void awaitNoFileKept() {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (mount.openFiles() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(mount.openFiles()).as("handles kept for nodes the kernel forgot").isZero();
  }

  private static String read(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(64);
    int n = ch.read(buf, 0);
    return new String(buf.array(), 0, Math.max(n, 0), StandardCharsets.UTF_8);
  }
}
