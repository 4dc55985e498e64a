package org.refcache.core.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

/** Writers: verification, ref locking, aborts, leftovers of dead writers, concurrent commits. */
class ContentIngestTest extends ContentStoreFixture {

  @Test
  void unknownSizeAndDigestAreComputedAtCommit() throws IOException {
    byte[] data = randomBytes(5000, 20);
    Digest d;
    try (ContentWriter w = store.writer("unknown", -1, null)) {
      w.stream().write(data);
      assertThat(w.written()).isEqualTo(5000);
      d = w.commit(Map.of());
    }

    assertThat(d).isEqualTo(Digest.sha256(data));
    assertThat(store.info(d).orElseThrow().size()).isEqualTo(5000);
  }

  /**
   * A writer gives its digest before the commit, so the blob can carry it in a label (an uncompressed
   * layer's diffID) recorded by the commit's one LMDB write; the blob is complete from then on.
   */
  @Test
  void theDigestBeforeCommitGoesIntoTheCommitsLabelsInOneWrite() throws IOException {
    byte[] data = randomBytes(3000, 21);
    Digest d;
    long before;
    try (ContentWriter w = store.writer("self-labelled", data.length, null)) {
      w.stream().write(data);
      Digest early = w.digest();
      assertThat(early).isEqualTo(Digest.sha256(data));
      assertThat(w.digest()).isEqualTo(early);
      assertThatThrownBy(() -> w.stream().write(new byte[] {1})).isInstanceOf(IOException.class)
          .hasMessageContaining("the blob is complete");
      before = env.lastTransactionId();
      d = w.commit(Map.of("self", early.toString()));
    }

    assertThat(env.lastTransactionId() - before).as("LMDB write transactions of the commit").isEqualTo(1);
    assertThat(d).isEqualTo(Digest.sha256(data));
    assertThat(store.info(d).orElseThrow().labels()).containsEntry("self", d.toString());
    assertThat(Files.readAllBytes(store.blobPath(d))).as("the refused write wrote nothing").isEqualTo(data);
  }

  @Test
  void wrongDigestIsRefusedAndNeverVisible() throws IOException {
    byte[] data = "actual bytes".getBytes(StandardCharsets.UTF_8);
    Digest claimed = Digest.sha256("claimed bytes");
    Digest actual = Digest.sha256(data);

    assertThatThrownBy(() -> store.ingest("bad", new ByteArrayInputStream(data), data.length, claimed, Map.of()))
        .isInstanceOfSatisfying(DigestMismatchException.class, e -> {
          assertThat(e.expected()).isEqualTo(claimed);
          assertThat(e.actual()).isEqualTo(actual);
        });

    assertThat(store.blobPath(claimed)).doesNotExist();
    assertThat(store.blobPath(actual)).doesNotExist();
    assertThat(store.info(claimed)).isEmpty();
    assertThat(store.info(actual)).isEmpty();
    assertThat(blobFiles()).isEmpty();
    assertThat(ingestEntries()).isEmpty();
  }

  @Test
  void sizeMismatchIsRefusedAndNeverVisible() throws IOException {
    byte[] data = randomBytes(100, 21);
    Digest d = Digest.sha256(data);

    assertThatThrownBy(() -> store.ingest("short", new ByteArrayInputStream(data), 101, d, Map.of()))
        .isInstanceOfSatisfying(SizeMismatchException.class, e -> {
          assertThat(e.expected()).isEqualTo(101);
          assertThat(e.actual()).isEqualTo(100);
        })
        .hasMessageContaining("short");
    assertThatThrownBy(() -> store.ingest("long", new ByteArrayInputStream(data), 99, null, Map.of()))
        .isInstanceOf(SizeMismatchException.class);

    assertThat(store.info(d)).isEmpty();
    assertThat(blobFiles()).isEmpty();
    assertThat(ingestEntries()).isEmpty();
  }

  @Test
  void sha512ExpectedDigestIsVerifiedWithSha512() throws IOException {
    byte[] data = randomBytes(777, 22);
    Digest expected = Digest.sha512(data);

    Digest d = store.ingest("s512", new ByteArrayInputStream(data), data.length, expected, Map.of());

    assertThat(d).isEqualTo(expected);
    assertThat(store.blobPath(d)).isEqualTo(contentRoot().resolve("blobs/sha512/" + expected.hex()));
    try (InputStream in = store.open(d)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void secondWriterOnAnOpenRefIsRefusedNamingTheRefAndAllowedAfterTheFirstCloses() throws IOException {
    String ref = "pull/registry.example/app:latest";
    ContentWriter first = store.writer(ref, -1, null);
    first.stream().write(1);

    assertThatThrownBy(() -> store.writer(ref, -1, null))
        .isInstanceOfSatisfying(IngestLockedException.class, e -> assertThat(e.ref()).isEqualTo(ref))
        .hasMessageContaining(ref);
    assertThat(first.written()).isEqualTo(1);

    first.close();
    try (ContentWriter second = store.writer(ref, -1, null)) {
      assertThat(second.written()).isZero();
    }
  }

  @Test
  void refIsFreeAgainAfterCommit() throws IOException {
    ingest("same-ref", randomBytes(10, 23), Map.of());

    Digest d = ingest("same-ref", randomBytes(10, 24), Map.of());

    assertThat(store.info(d)).isPresent();
  }

  @Test
  void refIsFreeAgainAfterAFailedCommit() throws IOException {
    byte[] data = randomBytes(10, 25);
    assertThatThrownBy(() -> store.ingest("r", new ByteArrayInputStream(data), 10, Digest.sha256("x"), Map.of()))
        .isInstanceOf(DigestMismatchException.class);

    assertThat(ingest("r", data, Map.of())).isEqualTo(Digest.sha256(data));
  }

  @Test
  void refsThatSanitiseAlikeGetSeparateIngestDirectories() throws IOException {
    try (ContentWriter slash = store.writer("a/b", -1, null);
        ContentWriter colon = store.writer("a:b", -1, null)) {
      slash.stream().write(new byte[] {1});
      colon.stream().write(new byte[] {2, 3});

      assertThat(ingestEntries()).hasSize(2);
      assertThat(slash.commit(Map.of())).isEqualTo(Digest.sha256(new byte[] {1}));
      assertThat(colon.commit(Map.of())).isEqualTo(Digest.sha256(new byte[] {2, 3}));
    }
  }

  @Test
  void ingestDirectoryHoldsDataAndRefWhileWriting() throws IOException {
    try (ContentWriter w = store.writer("layer-42", 3, null)) {
      w.stream().write(new byte[] {1, 2, 3});

      List<Path> entries = ingestEntries();
      assertThat(entries).singleElement().satisfies(dir -> {
        assertThat(dir.getFileName().toString()).startsWith("layer-42-");
        assertThat(Files.readString(dir.resolve("ref"))).isEqualTo("layer-42");
        assertThat(Files.size(dir.resolve("data"))).isEqualTo(3);
      });
    }
  }

  @Test
  void closingAWriterWithoutCommitRemovesItsIngestFiles() throws IOException {
    ContentWriter w = store.writer("aborted", -1, null);
    w.stream().write(randomBytes(1000, 26));

    w.close();
    w.close();

    assertThat(ingestEntries()).isEmpty();
    assertThat(blobFiles()).isEmpty();
    assertThatThrownBy(() -> w.stream().write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> w.commit(Map.of())).isInstanceOf(IOException.class);
  }

  @Test
  void closingTheWriterStreamNeitherCommitsNorAborts() throws IOException {
    byte[] data = randomBytes(64, 27);
    try (ContentWriter w = store.writer("streamed", data.length, Digest.sha256(data))) {
      try (OutputStream out = w.stream()) {
        out.write(data);
      }
      assertThat(blobFiles()).isEmpty();

      assertThat(w.commit(Map.of())).isEqualTo(Digest.sha256(data));
    }
    assertThat(blobFiles()).hasSize(1);
  }

  @Test
  void abandonedWriterOfADeadProcessIsCleanedWhenTheStoreOpensAgain() throws IOException {
    ContentWriter abandoned = store.writer("crashed", -1, null);
    abandoned.stream().write(randomBytes(2048, 28));
    assertThat(ingestEntries()).hasSize(1);

    reopen(); // the writer is never closed: its process "died"

    assertThat(ingestEntries()).isEmpty();
    assertThat(store.diskBytes()).isZero();
    try (ContentWriter again = store.writer("crashed", -1, null)) {
      assertThat(again.written()).isZero();
    }
  }

  @Test
  void handMadeIngestLeftoversAreRemovedAtOpen() throws IOException {
    Path leftover = contentRoot().resolve("ingest/old-ref-0123456789abcdef");
    Files.createDirectories(leftover.resolve("nested"));
    Files.write(leftover.resolve("data"), randomBytes(100, 29));
    Files.writeString(leftover.resolve("ref"), "old-ref");
    Files.writeString(contentRoot().resolve("ingest/stray-file"), "x");

    reopen();

    assertThat(ingestEntries()).isEmpty();
  }

  @Test
  void committingContentThatAlreadyExistsSucceedsAndMergesLabels() throws IOException {
    byte[] data = randomBytes(300, 30);
    Digest first = ingest("one", data, Map.of("a", "1", "b", "2"));
    clock.advance(Duration.ofHours(1));

    Digest second = ingest("two", data, Map.of("b", "22", "c", "3"));

    assertThat(second).isEqualTo(first);
    ContentInfo info = store.info(first).orElseThrow();
    assertThat(info.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "22", "c", "3"));
    assertThat(info.createdAt()).isEqualTo(T0);
    assertThat(info.updatedAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
    assertThat(blobFiles()).hasSize(1);
    assertThat(ingestEntries()).isEmpty();
  }

  @Test
  void concurrentIngestOfTheSameContentByTwoRefsBothSucceedWithOneBlob() throws Exception {
    byte[] data = randomBytes(256 * 1024, 31);
    Digest expected = Digest.sha256(data);
    CyclicBarrier bothWritten = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Digest>> results = new ArrayList<>();
      for (String ref : List.of("ref-a", "ref-b")) {
        results.add(pool.submit(() -> {
          try (ContentWriter w = store.writer(ref, data.length, expected)) {
            w.stream().write(data);
            bothWritten.await(10, TimeUnit.SECONDS);
            return w.commit(Map.of("by-" + ref, "yes"));
          }
        }));
      }

      for (Future<Digest> f : results) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(blobFiles()).containsExactly(store.blobPath(expected));
    assertThat(ingestEntries()).isEmpty();
    assertThat(store.info(expected).orElseThrow().labels()).containsKeys("by-ref-a", "by-ref-b");
    try (InputStream in = store.open(expected)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void manyConcurrentWritersOfDistinctContentAllCommit() throws Exception {
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Digest>> results = new ArrayList<>();
    List<byte[]> blobs = new ArrayList<>();
    try {
      for (int i = 0; i < writers; i++) {
        byte[] data = randomBytes(10_000 + i, 100 + i);
        blobs.add(data);
        String ref = "w" + i;
        results.add(pool.submit(() -> ingest(ref, data, Map.of("i", ref))));
      }
      for (int i = 0; i < writers; i++) {
        assertThat(results.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(Digest.sha256(blobs.get(i)));
      }
    } finally {
      pool.shutdownNow();
    }

    List<ContentInfo> seen = new ArrayList<>();
    store.walk(seen::add);
    assertThat(seen).hasSize(writers);
  }
}
