package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;
import org.refcache.protocol.ControlProtocol;

/**
 * The service on a state root that fills up (a small tmpfs): imports, writes and requests that change
 * what the service holds fail with a clear error, nothing is left half done (records, held state,
 * frozen trees), the service keeps serving, and once space is free again everything works, restart
 * included.
 */
class FullDiskTest {

  /** The LMDB map takes 64 MiB of it up front; the rest is for blobs, layers and uppers. */
  private static final String ROOT_SIZE = "160m";

  private ServiceFixture svc;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.prepare();
    Files.createDirectories(svc.root);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + ROOT_SIZE,
        "refcache-test-full", svc.root.toString()).inheritIO().start();
    assertThat(mount.waitFor()).as("mounting a tmpfs as the state root").isZero();
    svc.startService();
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close(); // stops the service, then detaches the tmpfs with every other mount under dir
    }
  }

  /** A layer tarball of one file of {@code bytes} random (incompressible) bytes. */
  private Path randomLayer(String name, long bytes) throws IOException {
    Path tar = svc.dir.resolve(name + ".tar");
    Random random = new Random(bytes);
    byte[] chunk = new byte[1 << 16];
    try (OutputStream out = Files.newOutputStream(tar);
         TarArchiveOutputStream tarOut = new TarArchiveOutputStream(out)) {
      TarArchiveEntry entry = new TarArchiveEntry(name);
      entry.setSize(bytes);
      tarOut.putArchiveEntry(entry);
      for (long left = bytes; left > 0; left -= chunk.length) {
        random.nextBytes(chunk);
        tarOut.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
      tarOut.closeArchiveEntry();
    }
    return tar;
  }

  private long freeBytes() throws IOException {
    var vfs = Posix.statvfs(svc.root);
    return vfs.blocksAvailable() * vfs.fragmentSize();
  }

  private List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void anImportLargerThanTheFreeSpaceFailsCleanlyAndTheServiceGoesOn() throws Exception {
    String small = svc.ok("import", randomLayer("small", 1 << 20).toString());
    long free = freeBytes();
    Path big = randomLayer("big", free + (8 << 20));

    ServiceFixture.Run failed = svc.cli("import", big.toString());

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.out()).isEmpty();
    assertThat(failed.err()).containsIgnoringCase("no space left on device")
        .contains("cannot store " + big + " in the content store");
    assertThat(filesUnder(svc.root.resolve("content/ingest"))).as("half-written ingests").isEmpty();
    assertThat(freeBytes()).as("the failed import's bytes are given back")
        .isGreaterThan(free - (1 << 20));
    var records = ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json"));
    assertThat(records).as("records after the failed import").hasSize(1);
    assertThat(records.toString()).contains(small);
    assertThat(Files.size(svc.tree(small).resolve("small"))).isEqualTo(1 << 20);

    // Space comes back: the same service imports a layer that fits.
    String fits = svc.ok("import", randomLayer("fits", 4 << 20).toString());
    assertThat(Files.size(svc.tree(fits).resolve("fits"))).isEqualTo(4 << 20);
  }

  /**
   * A layer that fits the disk as a blob but not unpacked: the access that needs it gets ENOSPC (not
   * EIO), no half-unpacked layer stays, the next access gets ENOSPC at once without unpacking again,
   * and once the filesystem has grown the next access unpacks it.
   */
  @Test
  void anUnpackThatRunsOutOfSpaceAnswersEnospcUntilTheDiskHasMoreSpace() throws Exception {
    svc.stopService();
    svc.layerLimits(org.refcache.core.layer.LayerLimits.DEFAULTS.withMaxRatio(100_000));
    svc.startService();
    int mib = (int) (freeBytes() >> 20) + 16;
    Path layer = svc.dir.resolve("zeros.tar.gz");
    Files.write(layer, LayerTar.gzipOfZeros("zeros", mib, LayerTar.rawTar("after", 1)));
    String id = svc.ok("import", layer.toString());
    String diffId = svc.info(id)
        .path("diffId").asText();
    Path zeros = svc.tree(id).resolve("zeros");

    try (UnpackAttempts unpacks = UnpackAttempts.watch()) {
      assertThatThrownBy(() -> Posix.lstat(zeros)).as("first access")
          .satisfies(e -> assertThat(org.refcache.posix.ErrnoMapper.toErrno(e))
              .isEqualTo(org.refcache.posix.Errno.ENOSPC));
      try (Stream<Path> left = Files.list(svc.root.resolve("layers"))) {
        assertThat(left).as("what the failed unpack left in layers/").isEmpty();
      }
      assertThatThrownBy(() -> Posix.lstat(zeros)).as("second access")
          .satisfies(e -> assertThat(org.refcache.posix.ErrnoMapper.toErrno(e))
              .isEqualTo(org.refcache.posix.Errno.ENOSPC));
      assertThat(unpacks.of(diffId)).as("unpack attempts on a full disk").isEqualTo(1);
      assertThat(svc.ok("info", id)).contains("No space left on device",
          "tried again once the disk has more free space");

      Process grow = new ProcessBuilder("mount", "-o", "remount,size=" + (mib + 200) + "m",
          svc.root.toString()).inheritIO().start();
      assertThat(grow.waitFor()).as("growing the tmpfs").isZero();

      assertThat(Posix.lstat(zeros).size()).isEqualTo((long) mib << 20);
      assertThat(unpacks.of(diffId)).as("unpack attempts once there is room").isEqualTo(2);
    }
  }

  /** Waits (up to 5 s) until the state root's filesystem has {@code bytes} free. */
  private void awaitFreeBytes(long bytes) throws IOException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (freeBytes() < bytes && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }

  @Test
  void writesIntoAMutableRefGetEnospcThenWorkAgainOnceSpaceIsFreed() throws Exception {
    String base = svc.ok("import", randomLayer("base", 1 << 20).toString());
    String work = svc.ok("new", "--parent", base);
    Path tree = svc.tree(work);
    Path filler = tree.resolve("filler");
    byte[] chunk = new byte[1 << 20];
    new Random(7).nextBytes(chunk);

    assertThatThrownBy(() -> {
      try (OutputStream out = Files.newOutputStream(filler)) {
        for (int i = 0; i < 1024; i++) {
          out.write(chunk);
        }
      }
    }).isInstanceOf(IOException.class).hasMessageContaining("No space left on device");

    assertThat(svc.ok("ls")).contains(base, work);
    Files.delete(filler);
    // With opens without requests the view cannot know whether an unlinked file is open: it
    // keeps it until the kernel forgets the node, which for a closed file comes just after the
    // unlink (a FORGET the kernel queues before unlink(2) returns, served a moment later).
    awaitFreeBytes(2L << 20);
    Files.write(tree.resolve("after.bin"), chunk);
    String committed = svc.ok("commit", work);
    assertThat(Files.readAllBytes(svc.tree(committed).resolve("after.bin"))).isEqualTo(chunk);

    svc.restart();
    assertThat(Files.readAllBytes(svc.tree(committed).resolve("after.bin"))).isEqualTo(chunk);
    assertThat(Files.size(svc.tree(committed).resolve("base"))).isEqualTo(1 << 20);
  }

  /** Fills the state root's filesystem to the last byte; deleting the returned file frees it again. */
  private Path fillUp() throws IOException {
    Path filler = svc.root.resolve("filler");
    try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int size : new int[] {1 << 20, 1 << 12, 1}) {
        ByteBuffer b = ByteBuffer.allocate(size);
        try {
          while (true) {
            b.clear();
            ch.write(b);
          }
        } catch (IOException e) {
          assertThat(e).hasMessageContaining("No space left on device");
        }
      }
    }
    assertThat(freeBytes()).isZero();
    return filler;
  }

  private Path stateFile() {
    return svc.root.resolve(ServiceState.FILE);
  }

  /** The records and the held state are as before the failed request, and no temporary file is left. */
  private void assertNothingChanged(List<String> records, byte[] state) throws IOException {
    assertThat(svc.recordIds()).as("records").isEqualTo(records);
    assertThat(Files.readAllBytes(stateFile())).as("held state").isEqualTo(state);
    assertThat(svc.root.resolve(ServiceState.FILE + ".tmp")).as("temporary state file").doesNotExist();
  }

  @Test
  void aCommitOnAFullDiskHappensNotAtAllAndWorksOnceSpaceIsFreed() throws Exception {
    String base = svc.ok("import", randomLayer("base", 1 << 20).toString());
    String work = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(work).resolve("before"), "before\n");
    List<String> records = svc.recordIds();
    byte[] state = Files.readAllBytes(stateFile());
    Path filler = fillUp();

    ServiceFixture.Run failed = svc.cli("commit", work);

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.out()).isEmpty();
    assertThat(failed.err()).containsIgnoringCase("no space left on device");
    assertNothingChanged(records, state);
    assertThat(svc.info(work).path("mutable").asBoolean()).isTrue();
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    assertThat(svc.info(work).path("equalImmutable").isNull()).as("no twin").isTrue();

    Files.delete(filler);
    Files.writeString(svc.tree(work).resolve("after"), "after\n"); // not left frozen
    svc.restart();
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    Files.writeString(svc.tree(work).resolve("after-restart"), "after restart\n");
    String twin = svc.ok("commit", work);
    assertThat(Files.readString(svc.tree(twin).resolve("before"))).isEqualTo("before\n");
    assertThat(Files.readString(svc.tree(twin).resolve("after"))).isEqualTo("after\n");
    assertThat(Files.readString(svc.tree(work).resolve("after-restart"))).isEqualTo("after restart\n");
    assertThat(svc.info(work).path("id").asText()).isEqualTo(twin);
  }

  @Test
  void aNewRefOnAFullDiskHappensNotAtAllAndWorksOnceSpaceIsFreed() throws Exception {
    String base = svc.ok("import", randomLayer("base", 1 << 20).toString());
    assertThat(Files.size(svc.tree(base).resolve("base"))).as("unpacked before the disk fills").isEqualTo(1 << 20);
    List<String> records = svc.recordIds();
    byte[] state = Files.readAllBytes(stateFile());
    Path filler = fillUp();

    ServiceFixture.Run failed = svc.cli("new", "--retain", "--parent", base);

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.out()).isEmpty();
    assertThat(failed.err()).containsIgnoringCase("no space left on device");
    assertNothingChanged(records, state);

    Files.delete(filler);
    String work = svc.ok("new", "--retain", "--parent", base);
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    svc.restart();
    assertThat(svc.recordIds()).containsExactlyInAnyOrder(base, work);
    Files.writeString(svc.tree(work).resolve("f"), "f\n");
  }

  @Test
  void aReleaseOnAFullDiskHappensNotAtAllAndWorksOnceSpaceIsFreed() throws Exception {
    String work = svc.ok("new");
    Files.writeString(svc.tree(work).resolve("kept"), "kept\n");
    List<String> records = svc.recordIds();
    byte[] state = Files.readAllBytes(stateFile());
    Path filler = fillUp();

    ServiceFixture.Run failed = svc.cli("release", work);

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.err()).containsIgnoringCase("no space left on device");
    assertNothingChanged(records, state);
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    assertThat(Files.readString(svc.tree(work).resolve("kept"))).isEqualTo("kept\n");

    Files.delete(filler);
    svc.restart();
    assertThat(Files.readString(svc.tree(work).resolve("kept"))).isEqualTo("kept\n");
    svc.ok("release", work);
    assertThat(svc.cli("info", work).exit()).isEqualTo(3);
  }

  /** A retained mutable stays when released: the next start must not take it for a leftover either. */
  @Test
  void aReleaseOfARetainedRefOnAFullDiskHappensNotAtAll() throws Exception {
    String work = svc.ok("new", "--retain");
    Files.writeString(svc.tree(work).resolve("kept"), "kept\n");
    List<String> records = svc.recordIds();
    byte[] state = Files.readAllBytes(stateFile());
    Path filler = fillUp();

    ServiceFixture.Run failed = svc.cli("release", work);

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.err()).containsIgnoringCase("no space left on device");
    assertNothingChanged(records, state);
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();

    Files.delete(filler);
    Files.writeString(svc.tree(work).resolve("still writable"), "yes\n");
    svc.restart();
    assertThat(svc.info(work).path("held").asBoolean()).isTrue();
    svc.ok("release", work);
    svc.restart();
    assertThat(svc.info(work).path("held").asBoolean()).isFalse();
    assertThat(svc.info(work).path("retain").asBoolean()).isTrue();
  }
}
