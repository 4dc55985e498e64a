package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.posix.Mounting;
import org.refcache.testing.LayerBuilder;

/**
 * FUSE over io_uring ({@link FuseOptions#uring}): requests go through ring entries when asked for
 * and never otherwise, files behave the same, and the session ends cleanly when unmounted with
 * requests in flight or when the connection is aborted (what a killed daemon leaves). Needs
 * Linux 6.14+ and {@code fuse.enable_uring=1} (scripts/test.sh turns it on).
 */
class FuseOverIoUringTest {

  private static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");

  @TempDir
  Path tmp;
  ViewFixture view;
  Path layer;
  FuseMount mount;

  @BeforeEach
  void setUp() throws IOException {
    view = new ViewFixture(tmp);
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("lower", "from the layer");
    view.addWritable("w", layer);
  }

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  private void mountWithRing() throws IOException {
    Assumptions.assumeTrue(Files.exists(ENABLE_URING),
        "a kernel with FUSE over io_uring (6.14+, CONFIG_FUSE_IO_URING)");
    assertThat(Files.readString(ENABLE_URING).trim())
        .as("fuse.enable_uring (echo 1 > %s, as scripts/test.sh does)", ENABLE_URING)
        .isEqualTo("Y");
    mount = view.mountExactly(FuseOptions.defaults().withUring(true));
  }

  /** Creates, writes, reads back, lists and removes {@code count} files in the writable ref. */
  private void workload(int count) throws IOException {
    Path dir = Files.createDirectory(view.ref("w").resolve("tree"));
    for (int i = 0; i < count; i++) {
      Files.writeString(dir.resolve("f" + i), "content " + i);
    }
    for (int i = 0; i < count; i++) {
      assertThat(Files.readString(dir.resolve("f" + i))).isEqualTo("content " + i);
    }
    try (Stream<Path> listed = Files.list(dir)) {
      assertThat(listed.count()).isEqualTo(count);
    }
    assertThat(Files.readString(view.ref("w").resolve("lower"))).isEqualTo("from the layer");
    for (int i = 0; i < count; i++) {
      Files.delete(dir.resolve("f" + i));
    }
    Files.delete(dir);
  }

  @Test
  void requestsGoThroughTheRingWhenItIsAskedFor() throws IOException {
    mountWithRing();
    workload(100);

    long creates = mount.served(FuseKernel.CREATE);
    long unlinks = mount.served(FuseKernel.UNLINK);
    assertThat(creates).isGreaterThanOrEqualTo(100);
    assertThat(unlinks).isEqualTo(100);
    // Everything but INIT and what the kernel still sends through the device (FORGET,
    // INTERRUPT): at least every create, write and unlink came through the ring.
    assertThat(mount.servedByRing()).as("requests served through the ring")
        .isGreaterThanOrEqualTo(creates + unlinks + mount.served(FuseKernel.WRITE));
  }

  @Test
  void withoutTheRingEveryRequestGoesThroughTheDevice() throws IOException {
    mount = view.mountExactly(FuseOptions.defaults().withUring(false));
    workload(20);

    assertThat(mount.served(FuseKernel.CREATE)).isGreaterThanOrEqualTo(20);
    assertThat(mount.servedByRing()).isZero();
  }

  /** Large writes and reads fill the payload buffer: what the kernel checks against max_write. */
  @Test
  void aFileOfSeveralMegabytesIsWrittenAndReadBackWhole() throws IOException {
    mountWithRing();
    byte[] data = new byte[5 * 1024 * 1024 + 123];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31 + (i >> 12));
    }
    Path file = view.ref("w").resolve("big");
    Files.write(file, data);
    assertThat(Files.readAllBytes(file)).isEqualTo(data);
    assertThat(mount.served(FuseKernel.WRITE)).isPositive();
    assertThat(mount.servedByRing()).isGreaterThanOrEqualTo(mount.served(FuseKernel.WRITE));
  }

  @Test
  void unmountingWithRequestsInFlightEndsTheSessionAndLeavesNoMount() throws Exception {
    mountWithRing();
    Path dir = Files.createDirectory(view.ref("w").resolve("busy"));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong done = new AtomicLong();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      Thread caller = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          try {
            Path file = dir.resolve("t" + id + "-" + i);
            Files.write(file, "x".getBytes(StandardCharsets.UTF_8));
            Files.delete(file);
            done.incrementAndGet();
          } catch (IOException | RuntimeException gone) {
            // the mount went away under the caller: expected
          }
        }
      });
      caller.start();
      callers.add(caller);
    }
    while (done.get() < 50) {
      Thread.onSpinWait();
    }
    mount.close();
    stop.set(true);
    for (Thread caller : callers) {
      caller.join(10_000);
      assertThat(caller.isAlive()).as("a caller still blocked in the mount").isFalse();
    }
    assertThat(mount.isMounted()).isFalse();
    assertThat(MountTable.isMountPoint(view.mountpoint)).as("still mounted").isFalse();
    assertThat(mount.servedByRing()).isPositive();
  }

  /**
   * A daemon killed with its ring entries in the kernel: the connection is aborted (what the
   * kernel does when the last reference to the device goes), every worker ends, and unmounting
   * afterwards leaves nothing behind.
   */
  @Test
  void anAbortedConnectionEndsEveryRingWorker() throws Exception {
    mountWithRing();
    workload(5);
    long dev = (long) Files.getAttribute(view.mountpoint, "unix:dev");
    long minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    // The FUSE control file system, mounted privately for this test (it need not be at
    // /sys/fs/fuse/connections): its per-connection "abort" is what ends a connection.
    Path control = Files.createDirectory(tmp.resolve("fusectl"));
    Mounting.mount("fusectl", control, "fusectl", 0, "");
    try {
      Files.writeString(control.resolve(Long.toString(minor)).resolve("abort"), "1");
    } finally {
      Mounting.umount(control, 0);
    }

    long deadline = System.nanoTime() + 10_000_000_000L;
    while (mount.isMounted() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(mount.isMounted()).as("the session still runs after the abort").isFalse();
    mount.close();
    assertThat(MountTable.isMountPoint(view.mountpoint)).as("still mounted").isFalse();
  }
}
