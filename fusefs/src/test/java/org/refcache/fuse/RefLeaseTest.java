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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import org.refcache.testing.LayerBuilder;

/** Leases: opened once per ref, released on invalidate, eviction and unmount, kept by open files. */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class RefLeaseTest extends ViewOnEachTransport {

  RefLeaseTest(FuseOptions.Transport transport) {
    super(transport);
  }

  Path layer;

  @BeforeEach
  void setUp() throws IOException {
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("data.txt", "0123456789");
  }

  @Test
  void aRefIsOpenedOnceAndKeptAcrossAccesses() throws IOException {
    view.addReadOnly("r", layer);
    view.mount();
    for (int i = 0; i < 5; i++) {
      assertThat(Files.readString(view.ref("r").resolve("data.txt"))).isEqualTo("0123456789");
    }
    assertThat(view.source.opened("r")).isEqualTo(1);
    assertThat(view.source.leasesHeld()).isEqualTo(1);
  }

  @Test
  void invalidateReleasesTheLeaseAndTheNextAccessOpensAgain() throws IOException {
    view.addReadOnly("r", layer);
    FuseMount mount = view.mount();
    Files.readString(view.ref("r").resolve("data.txt"));
    if (mount.opensWithoutRequests()) {
      // The file's node keeps its file (and a use of the lease) until the kernel forgets it,
      // which the invalidation makes it do.
      mount.invalidate("r");
      awaitReleased(mount, view.source, 0);
    } else {
      awaitReleased(mount, view.source, 1); // the kernel sends RELEASE after close(2) returned
      mount.invalidate("r");
    }

    assertThat(view.source.closed("r")).isEqualTo(1);
    assertThat(Files.readString(view.ref("r").resolve("data.txt"))).isEqualTo("0123456789");
    assertThat(view.source.opened("r")).isEqualTo(2);
  }

  @Test
  void anOpenFileKeepsItsLeaseAcrossInvalidateAndStillReads() throws IOException {
    view.addReadOnly("r", layer);
    FuseMount mount = view.mount();
    try (InputStream in = Files.newInputStream(view.ref("r").resolve("data.txt"))) {
      assertThat(new String(in.readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("0123");

      mount.invalidate("r");
      view.source.remove("r"); // the record is gone too: only the open file holds the ref
      assertThat(view.source.leasesHeld()).isEqualTo(1);
      assertThat(ReadOnlyViewTest.list(view.mountpoint.resolve("refs"))).isEmpty();
      assertThat(Errnos.of(() -> Files.newInputStream(view.ref("r").resolve("data.txt")).close()))
          .isEqualTo(Errno.ENOENT);

      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("456789");
    }
    awaitReleased(mount, view.source, 0);
    assertThat(mount.openFiles()).isZero();
  }

  /** Waits for the kernel's asynchronous RELEASE of every closed file, and its lease. */
  static void awaitReleased(FuseMount mount, TestRefSource source, int leasesLeft) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while ((mount.openFiles() > 0 || source.leasesHeld() > leasesLeft)
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(mount.openFiles()).as("files still open").isZero();
    assertThat(source.leasesHeld()).as("leases held").isEqualTo(leasesLeft);
  }

  @Test
  void leastRecentlyUsedRefsAreEvictedBeyondTheCacheSize() throws IOException {
    for (String id : List.of("a", "b", "c")) {
      view.addReadOnly(id, layer);
    }
    FuseMount mount = view.mount(FuseOptions.defaults().withLeaseCacheSize(2));
    Files.readString(view.ref("a").resolve("data.txt"));
    Files.readString(view.ref("b").resolve("data.txt"));
    Files.readString(view.ref("a").resolve("data.txt"));
    Files.readString(view.ref("c").resolve("data.txt"));

    assertThat(mount.cachedRefs()).isEqualTo(2);
    assertThat(view.source.closed("a")).isZero();
    if (mount.opensWithoutRequests()) {
      // Each file's node keeps its file, and so a use of its ref's lease, while the kernel holds
      // it: b left the cache, its lease stays until then.
      assertThat(view.source.closed("b")).isZero();
      assertThat(view.source.leasesHeld()).isEqualTo(3);
      mount.invalidate("b"); // the kernel forgets b's file: its leases go
      view.awaitOpenFiles(2);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (view.source.leasesHeld() > 2 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(view.source.leasesHeld()).isEqualTo(2);
      assertThat(view.source.closed("b")).as("leases of b closed")
          .isEqualTo(view.source.opened("b")).isPositive();
    } else {
      // The kernel sends RELEASE after close(2) returned, so b's file may still hold its lease for
      // a moment after it left the cache: wait for the releases of the closed files first.
      view.awaitOpenFiles(0);
      assertThat(view.source.closed("b")).isEqualTo(1);
      assertThat(view.source.leasesHeld()).isEqualTo(2);
    }
  }

  @Test
  void aFailingOpenIsAnIoErrorAndTheNextAccessTriesAgain() throws IOException {
    view.addReadOnly("r", layer);
    view.mount();
    view.source.failOpens(new IllegalStateException("fetching a lazy layer failed"));

    assertThat(Errnos.of(() -> Files.readString(view.ref("r").resolve("data.txt"))))
        .isEqualTo(Errno.EIO);

    view.source.failOpens(null);
    assertThat(Files.readString(view.ref("r").resolve("data.txt"))).isEqualTo("0123456789");
  }

  @Test
  void concurrentFirstAccessesOpenTheRefOnce() throws Exception {
    view.addReadOnly("r", layer);
    view.mount();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> reads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        reads.add(pool.submit(() -> Files.readString(view.ref("r").resolve("data.txt"))));
      }
      for (Future<String> read : reads) {
        assertThat(read.get()).isEqualTo("0123456789");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(view.source.opened("r")).isEqualTo(1);
  }

  /** Starts a read of ref "slow" and waits until its (held) open has begun. */
  private Future<String> readWhileTheOpenOfSlowWaits(ExecutorService pool) {
    Future<String> slow = pool.submit(() -> Files.readString(view.ref("slow").resolve("data.txt")));
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (view.source.attempts("slow") == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(view.source.attempts("slow")).isEqualTo(1);
    return slow;
  }

  /** Ref "fast" is read while "slow" waits; then the gate opens and "slow" is read too. */
  private void assertFastIsServedWhileSlowWaitsThenSlowToo(ExecutorService pool,
      Future<String> slow, java.util.concurrent.CountDownLatch gate) throws Exception {
    Future<String> fast = pool.submit(() -> Files.readString(view.ref("fast").resolve("data.txt")));
    assertThat(fast.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("0123456789");
    assertThat(slow.isDone()).isFalse();
    gate.countDown();
    assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("0123456789");
  }

  /**
   * The loop is multi-threaded and refs open independently: while one ref's open is slow (a lazy
   * fetch), files of another ref are served. The other ref is looked up beforehand: libfuse 2.9
   * does not ask for parallel directory operations, so the kernel serializes lookups within one
   * directory, {@code /refs} included, and a slow lookup there holds up other lookups there.
   */
  @Test
  void aSlowOpenOfOneRefDoesNotHoldUpFilesOfOthers() throws Exception {
    view.addReadOnly("slow", layer);
    view.addReadOnly("fast", layer);
    view.mount();
    assertThat(Files.readString(view.ref("fast").resolve("data.txt"))).isEqualTo("0123456789");
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    view.source.holdOpens("slow", gate);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<String> slow = readWhileTheOpenOfSlowWaits(pool);

      assertFastIsServedWhileSlowWaitsThenSlowToo(pool, slow, gate);
    } finally {
      gate.countDown(); // never leave a FUSE thread (and the kernel's directory lock) waiting
      pool.shutdownNow();
    }
  }

  /**
   * A lazy ref's own directory answers without opening the ref, so its slow unpack happens in the
   * first lookup inside it and holds up only lookups in that ref: refs looked up for the first
   * time meanwhile (in {@code /refs}, which the kernel serializes) are served. Its root keeps one
   * inode number before and after.
   */
  @Test
  void aSlowUnpackOfOneRefDoesNotHoldUpTheFirstLookupOfAnother() throws Exception {
    view.addReadOnly("slow", layer);
    view.addReadOnly("fast", layer);
    view.source.markLazy("slow");
    view.mount();
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    view.source.holdOpens("slow", gate);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      org.refcache.posix.Stat root = pool.submit(() -> Posix.lstat(view.ref("slow")))
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(view.source.attempts("slow")).as("its directory answered without an open").isZero();
      assertThat(root.nlink()).as("subdirectories not known yet: not 2").isEqualTo(1);
      Future<String> slow = readWhileTheOpenOfSlowWaits(pool);

      // "fast" was never looked up: its lookup in /refs must not wait for "slow".
      assertFastIsServedWhileSlowWaitsThenSlowToo(pool, slow, gate);
      Thread.sleep(1100); // past attr_timeout: the next stat asks the view again
      // The same directory as before the unpack (a walk begun then must not see it change).
      org.refcache.posix.Stat after = Posix.lstat(view.ref("slow"));
      assertThat(after.ino()).isEqualTo(root.ino());
      assertThat(after.mode()).isEqualTo(root.mode());
      assertThat(after.mtime()).isEqualTo(root.mtime());
      assertThat(after.ctime()).isEqualTo(root.ctime());
      assertThat(after.size()).as("GNU tar: a directory that grew changed as it read it")
          .isEqualTo(root.size());
    } finally {
      gate.countDown(); // never leave a FUSE thread (and the kernel's directory lock) waiting
      pool.shutdownNow();
    }
  }

  /**
   * A rename waits only for what is in flight in its own ref (the kernel transport's structure
   * lock is per ref): a slow open of another ref does not hold it up, nor, behind it, the rest.
   */
  @Test
  void aRenameInOneRefDoesNotWaitForASlowOpenOfAnother() throws Exception {
    view.addReadOnly("slow", layer);
    view.addWritable("w", layer);
    view.mount();
    Files.writeString(view.ref("w").resolve("a"), "a");
    java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
    view.source.holdOpens("slow", gate);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<String> slow = readWhileTheOpenOfSlowWaits(pool);

      pool.submit(() -> Files.move(view.ref("w").resolve("a"), view.ref("w").resolve("b")))
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(Files.readString(view.ref("w").resolve("b"))).isEqualTo("a");
      assertThat(slow.isDone()).as("the slow ref still waits").isFalse();
      gate.countDown();
      assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("0123456789");
    } finally {
      gate.countDown(); // never leave a FUSE thread waiting
      pool.shutdownNow();
    }
  }

  @Test
  void aFrozenTreeRefusesEveryChangeAndWritesThroughOpenFiles() throws IOException {
    WritableOverlayTree tree = view.addWritable("w", layer);
    view.mount();
    Path ref = view.ref("w");
    Files.createSymbolicLink(ref.resolve("link"), Path.of("data.txt"));
    Files.createDirectory(ref.resolve("dir"));
    try (FileChannel open = FileChannel.open(ref.resolve("data.txt"), StandardOpenOption.WRITE)) {
      open.write(ByteBuffer.wrap("ab".getBytes(StandardCharsets.UTF_8)));

      tree.freeze();

      assertThat(Errnos.of(() -> open.write(ByteBuffer.wrap(new byte[] {1}), 0)))
          .isEqualTo(Errno.EROFS);
      assertThat(Errnos.of(() -> open.truncate(1))).isEqualTo(Errno.EROFS);
    }
    boolean noOpens = view.mounted().opensWithoutRequests();
    assertThat(ReadOnlyChecks.run(ref, "data.txt", "dir", "link"))
        .allSatisfy((op, errno) -> assertThat(errno).as(op)
            .isEqualTo(ReadOnlyChecks.expected(op, noOpens)));
    assertThat(Files.readString(ref.resolve("data.txt"))).isEqualTo("ab23456789");
  }

  @Test
  void eightThreadsReadAndWriteDifferentFilesAtOnce() throws Exception {
    byte[] shared = new byte[1 << 20];
    new java.util.Random(1).nextBytes(shared);
    Files.write(layer.resolve("shared.bin"), shared);
    view.addWritable("w", layer);
    view.addReadOnly("r", layer);
    view.mount();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Void>> work = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        work.add(pool.submit((Callable<Void>) () -> {
          Path mine = view.ref("w").resolve("file-" + thread);
          for (int round = 0; round < 20; round++) {
            byte[] data = new byte[8192 * (thread + 1) + round];
            java.util.Arrays.fill(data, (byte) (thread * 31 + round));
            Files.write(mine, data);
            assertThat(Files.readAllBytes(mine)).isEqualTo(data);
            Path lower = view.ref(round % 2 == 0 ? "r" : "w").resolve("shared.bin");
            assertThat(Files.readAllBytes(lower)).isEqualTo(shared);
          }
          return null;
        }));
      }
      for (Future<Void> f : work) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(ReadOnlyViewTest.list(view.ref("w"))).hasSize(10);
  }
}
