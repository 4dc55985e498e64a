package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.posix.Posix;

class LayerStoreTest {
  static final int CALLERS = 8;

  @TempDir
  Path tmp;
  Path root;
  byte[] tar;
  Digest diffId;
  byte[] gzip;

  @BeforeEach
  void setUp() {
    root = tmp.resolve("layers");
    tar = new TarBuilder().dir("etc").file("etc/hostname", "cache\n").file("big", new byte[10_000])
        .hardLink("big-too", "big").build();
    diffId = Digest.sha256(tar);
    gzip = TarBuilder.compress(tar, Compression.GZIP);
  }

  /** Opens {@code blob}, counting how often it was asked to. */
  static final class CountingOpener implements LayerStore.BlobOpener {
    final AtomicInteger opens = new AtomicInteger();
    final byte[] blob;

    CountingOpener(byte[] blob) {
      this.blob = blob;
    }

    @Override
    public InputStream open() throws IOException {
      opens.incrementAndGet();
      return new ByteArrayInputStream(blob);
    }
  }

  @Test
  void unpacksIntoADirectoryNamedByTheDiffIdHex() throws IOException {
    LayerStore store = new LayerStore(root);

    Path dir = store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, new CountingOpener(gzip));

    assertThat(dir).isEqualTo(root.resolve(diffId.encoded())).isEqualTo(store.dir(diffId));
    assertThat(dir.resolve("etc/hostname")).hasContent("cache");
    assertThat(store.isUnpacked(diffId)).isTrue();
  }

  @Test
  void ensureUnpackedTwiceUnpacksOnce() throws IOException {
    LayerStore store = new LayerStore(root);
    CountingOpener opener = new CountingOpener(gzip);

    Path first = store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, opener);
    Path second = store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, opener);

    assertThat(second).isEqualTo(first);
    assertThat(opener.opens).hasValue(1);
  }

  @Test
  void concurrentCallersShareOneUnpack() throws Exception {
    LayerStore store = new LayerStore(root);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger opens = new AtomicInteger();
    LayerStore.BlobOpener slow = () -> {
      opens.incrementAndGet();
      awaitQuietly(release);
      return new ByteArrayInputStream(gzip);
    };

    List<Path> results = runConcurrently(store, slow, release);

    assertThat(opens).hasValue(1);
    assertThat(results).hasSize(CALLERS).containsOnly(store.dir(diffId));
    assertThat(store.dir(diffId).resolve("etc/hostname")).hasContent("cache");
  }

  @Test
  void concurrentCallersShareTheFailureAndTheNextCallTriesAgain() throws Exception {
    LayerStore store = new LayerStore(root);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger opens = new AtomicInteger();
    byte[] corrupt = TarBuilder.compress(new TarBuilder().file("other", "x").build(),
        Compression.GZIP);
    LayerStore.BlobOpener failing = () -> {
      opens.incrementAndGet();
      awaitQuietly(release);
      return new ByteArrayInputStream(corrupt);
    };

    assertThatThrownBy(() -> runConcurrently(store, failing, release))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(DiffIdMismatchException.class);
    assertThat(opens).hasValue(1);
    assertThat(store.isUnpacked(diffId)).isFalse();

    CountingOpener good = new CountingOpener(gzip);
    Path dir = store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, good);
    assertThat(good.opens).hasValue(1);
    assertThat(dir.resolve("etc/hostname")).hasContent("cache");
    assertThat(workDirectories()).isEmpty();
  }

  @Test
  void failureOfTheOpenerIsReportedAndRetried() throws IOException {
    LayerStore store = new LayerStore(root);
    AtomicInteger calls = new AtomicInteger();
    LayerStore.BlobOpener flaky = () -> {
      if (calls.incrementAndGet() == 1) {
        throw new IOException("registry unreachable");
      }
      return new ByteArrayInputStream(gzip);
    };

    assertThatThrownBy(() -> store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, flaky))
        .hasMessage("registry unreachable");
    assertThat(store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, flaky)).isDirectory();
    assertThat(calls).hasValue(2);
  }

  /**
   * A full disk fails the unpack with ENOSPC (the errno the FUSE view answers), not a generic I/O
   * error, and leaves neither the layer nor its work directory: a small tmpfs holds the layers.
   */
  @Test
  void anUnpackThatRunsOutOfSpaceFailsWithEnospcAndLeavesNothing() throws Exception {
    Path small = Files.createDirectory(tmp.resolve("small"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m",
        "refcache-test-full", small.toString()).inheritIO().start();
    assertThat(mount.waitFor()).as("mounting a 2 MiB tmpfs").isZero();
    try {
      LayerStore store = new LayerStore(small);
      byte[] big = new TarBuilder().file("zeros", new byte[8 << 20]).build();
      byte[] blob = TarBuilder.compress(big, Compression.GZIP);
      Digest bigDiffId = Digest.sha256(big);

      assertThatThrownBy(() -> store.ensureUnpacked(bigDiffId,
          new LayerBlob("big", MediaTypes.OCI_LAYER_GZIP, blob.length),
          () -> new ByteArrayInputStream(blob)))
          .satisfies(e -> assertThat(org.refcache.posix.ErrnoMapper.toErrno(e))
              .as("errno of %s", e).isEqualTo(org.refcache.posix.Errno.ENOSPC));

      assertThat(store.isUnpacked(bigDiffId)).isFalse();
      try (Stream<Path> s = Files.list(small)) {
        assertThat(s).as("what the failed unpack left").isEmpty();
      }
      // The space is back: a layer that fits unpacks.
      assertThat(store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP,
          new CountingOpener(gzip))).isDirectory();
    } finally {
      new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
    }
  }

  @Test
  void leftoverWorkDirectoriesAreRemovedAtConstruction() throws IOException {
    Files.createDirectories(root.resolve(".tmp-abc-123/usr/bin"));
    Files.writeString(root.resolve(".tmp-abc-123/usr/bin/half"), "half");
    Files.createSymbolicLink(root.resolve(".tmp-def"), tmp);
    Path unrelated = Files.createDirectory(root.resolve(diffId.encoded()));

    new LayerStore(root);

    assertThat(workDirectories()).isEmpty();
    assertThat(unrelated).isDirectory();
    assertThat(tmp).as("a symlinked leftover is removed, not followed").isDirectory();
  }

  @Test
  void deleteRemovesTheLayer() throws IOException {
    LayerStore store = new LayerStore(root);
    store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, new CountingOpener(gzip));

    assertThat(store.delete(diffId)).isTrue();

    assertThat(store.isUnpacked(diffId)).isFalse();
    assertThat(store.delete(diffId)).isFalse();
    try (Stream<Path> s = Files.list(root)) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void diskBytesCountsAHardLinkedInodeOnce() throws IOException {
    LayerStore store = new LayerStore(root);
    assertThat(store.diskBytes(diffId)).isZero();
    store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, new CountingOpener(gzip));

    long bytes = store.diskBytes(diffId);

    long bigBlocks = Posix.lstat(store.dir(diffId).resolve("big")).blocks() * 512;
    assertThat(bigBlocks).isGreaterThanOrEqualTo(10_000);
    long everythingButBig = 0;
    for (String p : List.of("", "etc", "etc/hostname")) {
      everythingButBig += Posix.lstat(store.dir(diffId).resolve(p)).blocks() * 512;
    }
    assertThat(bytes).isEqualTo(everythingButBig + bigBlocks);
  }

  List<Path> runConcurrently(LayerStore store, LayerStore.BlobOpener opener, CountDownLatch release)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    try {
      List<Thread> threads = new ArrayList<>();
      List<Future<Path>> futures = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        futures.add(pool.submit(() -> {
          synchronized (threads) {
            threads.add(Thread.currentThread());
          }
          return store.ensureUnpacked(diffId, MediaTypes.OCI_LAYER_GZIP, opener);
        }));
      }
      awaitAllButOneParked(threads);
      release.countDown();
      List<Path> results = new ArrayList<>();
      for (Future<Path> f : futures) {
        results.add(f.get(30, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Waits until every caller is blocked: one in the opener, the others waiting for it. */
  static void awaitAllButOneParked(List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      synchronized (threads) {
        if (threads.size() == CALLERS && threads.stream()
            .allMatch(t -> t.getState() == Thread.State.WAITING
                || t.getState() == Thread.State.TIMED_WAITING)) {
          return;
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("callers did not all block");
  }

  static void awaitQuietly(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IOException("test latch timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  List<Path> workDirectories() throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList();
    }
  }
}
