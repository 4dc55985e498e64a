package org.refcache.core.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.LmdbEnvironment;

/** Reading, inspecting, relabelling and deleting committed blobs; what survives a restart. */
class ContentStoreTest extends ContentStoreFixture {

  @Test
  void ingestedBlobReadsBackByStream() throws IOException {
    byte[] data = randomBytes(300_000, 1);
    Digest d = ingest("layer-1", data, Map.of());

    assertThat(d).isEqualTo(Digest.sha256(data));
    try (InputStream in = store.open(d)) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void positionalReadsReturnTheRequestedRangeAndMinusOneAtEnd() throws IOException {
    byte[] data = randomBytes(10_000, 2);
    Digest d = ingest("layer-1", data, Map.of());

    try (BlobReader r = store.reader(d)) {
      assertThat(r.size()).isEqualTo(10_000);
      ByteBuffer buf = ByteBuffer.allocate(100);
      assertThat(r.read(buf, 4_321)).isEqualTo(100);
      assertThat(buf.array()).isEqualTo(java.util.Arrays.copyOfRange(data, 4_321, 4_421));

      ByteBuffer tail = ByteBuffer.allocateDirect(100);
      assertThat(r.read(tail, 9_950)).isEqualTo(50);
      assertThat(r.read(ByteBuffer.allocate(10), 10_000)).isEqualTo(-1);
    }
  }

  @Test
  void blobPathPointsAtAlgorithmAndHex() throws IOException {
    Digest d = ingest("layer-1", "x".getBytes(StandardCharsets.UTF_8), Map.of());

    assertThat(store.blobPath(d)).isEqualTo(contentRoot().resolve("blobs/sha256/" + d.hex()));
    assertThat(store.blobPath(d)).isRegularFile();
  }

  @Test
  void infoReportsSizeCreationTimeAndLabels() throws IOException {
    byte[] data = randomBytes(1234, 3);
    Digest d = ingest("layer-1", data, Map.of("containerd.io/uncompressed", "sha256:" + "a".repeat(64)));

    ContentInfo info = store.info(d).orElseThrow();
    assertThat(info.digest()).isEqualTo(d);
    assertThat(info.size()).isEqualTo(1234);
    assertThat(info.createdAt()).isEqualTo(T0);
    assertThat(info.updatedAt()).isEqualTo(T0);
    assertThat(info.labels()).containsExactly(Map.entry("containerd.io/uncompressed", "sha256:" + "a".repeat(64)));
  }

  @Test
  void labelsAndTimesSurviveReopenOfEnvironmentAndStore() throws IOException {
    Digest d = ingest("layer-1", randomBytes(100, 4), Map.of("buildkit.io/blob/mediatype", "application/x-tar"));

    reopen();

    ContentInfo info = store.info(d).orElseThrow();
    assertThat(info.labels()).containsEntry("buildkit.io/blob/mediatype", "application/x-tar");
    assertThat(info.createdAt()).isEqualTo(T0);
    assertThat(info.size()).isEqualTo(100);
  }

  @Test
  void updateLabelsAddsReplacesAndRemovesWithNullKeepingCreationTime() throws IOException {
    Digest d = ingest("layer-1", randomBytes(10, 5), Map.of("keep", "1", "drop", "2", "change", "3"));
    clock.advance(Duration.ofMinutes(5));
    Map<String, String> update = new HashMap<>();
    update.put("drop", null);
    update.put("change", "33");
    update.put("add", "4");

    ContentInfo after = store.updateLabels(d, update);

    assertThat(after.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("keep", "1", "change", "33", "add", "4"));
    assertThat(after.createdAt()).isEqualTo(T0);
    assertThat(after.updatedAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    assertThat(store.info(d).orElseThrow()).isEqualTo(after);
  }

  @Test
  void updateLabelsOfUnknownDigestFailsWithContentNotFound() {
    Digest missing = Digest.sha256("never stored");

    assertThatThrownBy(() -> store.updateLabels(missing, Map.of("a", "b")))
        .isInstanceOf(ContentNotFoundException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void walkVisitsEveryCommittedBlobOfEveryAlgorithm() throws IOException {
    Digest a = ingest("a", randomBytes(10, 6), Map.of());
    Digest b = ingest("b", randomBytes(20, 7), Map.of("x", "y"));
    byte[] c = randomBytes(30, 8);
    Digest c512 = store.ingest("c", new java.io.ByteArrayInputStream(c), 30, Digest.sha512(c), Map.of());

    List<ContentInfo> seen = new ArrayList<>();
    store.walk(seen::add);

    assertThat(seen).extracting(ContentInfo::digest).containsExactlyInAnyOrder(a, b, c512);
    assertThat(seen).filteredOn(i -> i.digest().equals(b)).singleElement()
        .satisfies(i -> assertThat(i.labels()).containsEntry("x", "y"));
  }

  @Test
  void deleteRemovesBlobFileAndInfo() throws IOException {
    Digest d = ingest("layer-1", randomBytes(10, 9), Map.of("a", "b"));
    Path blob = store.blobPath(d);

    assertThat(store.delete(d)).isTrue();

    assertThat(blob).doesNotExist();
    assertThat(store.info(d)).isEmpty();
    assertThat(store.delete(d)).isFalse();
    List<ContentInfo> seen = new ArrayList<>();
    store.walk(seen::add);
    assertThat(seen).isEmpty();
  }

  @Test
  void openReaderKeepsReadingAfterTheBlobIsDeleted() throws IOException {
    byte[] data = randomBytes(4096, 10);
    Digest d = ingest("layer-1", data, Map.of());

    try (BlobReader r = store.reader(d)) {
      store.delete(d);
      ByteBuffer buf = ByteBuffer.allocate(4096);
      assertThat(r.read(buf, 0)).isEqualTo(4096);
      assertThat(buf.array()).isEqualTo(data);
    }
  }

  @Test
  void unknownDigestIsNotFoundForStreamsAndReadersAndEmptyForInfo() throws IOException {
    Digest missing = Digest.sha256("nothing here");

    assertThatThrownBy(() -> store.open(missing))
        .isInstanceOf(ContentNotFoundException.class)
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(missing.toString());
    assertThatThrownBy(() -> store.reader(missing))
        .isInstanceOfSatisfying(ContentNotFoundException.class, e -> assertThat(e.digest()).isEqualTo(missing));
    assertThat(store.info(missing)).isEmpty();
  }

  @Test
  void blobFileIsReadOnlyForEveryone() throws IOException {
    Digest d = ingest("layer-1", randomBytes(10, 11), Map.of());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.blobPath(d))))
        .isEqualTo("r--r--r--");
  }

  @Test
  void blobFileWithoutInfoEntryGetsInfoRebuiltFromTheFile() throws IOException {
    byte[] data = "placed by hand".getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256(data);
    Files.write(store.blobPath(d), data);

    ContentInfo info = store.info(d).orElseThrow();

    assertThat(info.size()).isEqualTo(data.length);
    assertThat(info.labels()).isEmpty();
    assertThat(info.createdAt()).isEqualTo(Files.getLastModifiedTime(store.blobPath(d)).toInstant());
    assertThat(store.updateLabels(d, Map.of("k", "v")).labels()).containsEntry("k", "v");
  }

  @Test
  void infoEntryWithoutBlobFileIsNeverReturnedAndIsDroppedAtOpen() throws IOException {
    Digest d = ingest("layer-1", randomBytes(10, 12), Map.of("a", "b"));
    Files.delete(store.blobPath(d));

    assertThat(store.info(d)).isEmpty();
    assertThat(contentEntries()).isEqualTo(1);

    reopen();

    assertThat(contentEntries()).isZero();
    assertThat(store.info(d)).isEmpty();
  }

  @Test
  void diskBytesCountsBlobsAndIngestsInProgress() throws IOException {
    assertThat(store.diskBytes()).isZero();
    ingest("a", randomBytes(1000, 13), Map.of());
    ingest("b", randomBytes(500, 14), Map.of());

    try (ContentWriter w = store.writer("in-progress", -1, null)) {
      w.stream().write(new byte[300]);
      long refFile = "in-progress".getBytes(StandardCharsets.UTF_8).length;

      assertThat(store.diskBytes()).isEqualTo(1000 + 500 + 300 + refFile);
    }
    assertThat(store.diskBytes()).isEqualTo(1500);
  }

  @Test
  void openingNeedsTheContentDatabaseInTheEnvironment() throws IOException {
    try (LmdbEnvironment other = LmdbEnvironment.open(root.resolve("other-meta"), List.of("main"), 0)) {
      assertThatThrownBy(() -> ContentStore.open(root.resolve("other-content"), other))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"content\"");
    }
  }

  private int contentEntries() {
    return env.read(txn -> {
      int[] n = {0};
      txn.scan(env.db(ContentStore.DATABASE), new byte[0], (k, v) -> {
        n[0]++;
        return true;
      });
      return n[0];
    });
  }
}
