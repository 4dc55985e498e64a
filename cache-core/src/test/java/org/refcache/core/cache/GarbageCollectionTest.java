package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.refcache.core.content.ContentStore;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * The collection after prune (spec case 28) and its roots: records, weak handles of pruned records,
 * recent and leased work, labelled blobs; and a start after a prune that was cut short.
 */
class GarbageCollectionTest extends CacheFixture {
  private List<String> entries(String dir) throws IOException {
    try (Stream<Path> s = Files.list(root.resolve(dir))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
    }
  }

  private List<String> blobs() throws IOException {
    return entries("content/blobs/sha256");
  }

  private Layers.Blob blob(String name, int size) throws IOException {
    return Layers.uncompressed(Layers.files(name, "x".repeat(size) + name)).store(cm.contentStore());
  }

  @Test
  void case28_pruneThenCollectionRemovesTheLayersAndBlobsOnlyPrunedRecordsUsed() throws Exception {
    ImmutableRef base = cm.getByBlob(blob("base", 50_000).desc(), null);
    ImmutableRef child = cm.getByBlob(blob("child", 70_000).desc(), base);
    child.extract();
    assertThat(entries("layers")).hasSize(2);
    assertThat(blobs()).hasSize(2);
    String childLayer = Path.of(child.diffId().orElseThrow().encoded()).toString();
    long childBytes = DiskUsageConformanceTest.du(root.resolve("layers").resolve(childLayer))
        + DiskUsageConformanceTest.du(root.resolve("content/blobs/sha256").resolve(child.blob().orElseThrow().hex()));
    child.release();
    PruneResult first = cm.prune(PruneOptions.defaults(), u -> { });
    assertThat(first.removed()).isEqualTo(1);
    assertThat(entries("layers")).containsExactly(base.diffId().orElseThrow().encoded());
    assertThat(blobs()).containsExactly(base.blob().orElseThrow().hex());
    assertThat(first.gc().layers()).isEqualTo(1);
    assertThat(first.gc().blobs()).isEqualTo(1);
    assertThat(first.gc().freedBytes()).as("measured, not estimated").isEqualTo(childBytes);
    assertThat(first.reclaimedBytes()).isEqualTo(childBytes);
    base.release();
    cm.prune(PruneOptions.defaults(), u -> { });
    assertThat(entries("layers")).isEmpty();
    assertThat(blobs()).isEmpty();
  }

  @Test
  void pruningEverythingReturnsTheRootToItsEmptySize() throws Exception {
    long empty = DiskUsageConformanceTest.du(root);
    ImmutableRef base = cm.getByBlob(blob("base", 400_000).desc(), null);
    base.extract();
    MutableRef m = cm.newRef(base, RefOptions.retain());
    Files.writeString(((WritableOverlayTree) m.mount(false)).createFile("new", 0644, 0, 0, true), "y".repeat(300_000));
    ImmutableRef c = m.commit();
    c.finalizeRef();
    c.release();
    base.release();
    assertThat(DiskUsageConformanceTest.du(root)).isGreaterThan(empty + 600_000);
    PruneResult r = cm.prune(PruneOptions.defaults().withAll(true), u -> { });
    assertThat(r.removed()).isEqualTo(2);
    assertThat(r.gc().uppers()).isEqualTo(1);
    assertThat(DiskUsageConformanceTest.du(root)).isLessThan(empty + (1 << 20));
  }

  @Test
  void aPrunedRecordReadThroughAWeakHandleKeepsItsDataUntilReleased() throws IOException {
    String id;
    try (ImmutableRef r = cm.getByBlob(blob("open", 10_000).desc(), null)) {
      id = r.id();
    }
    ImmutableRef reader = cm.get(id, RefOptions.weak());
    OverlayTree tree = reader.mount(true);
    Path file = tree.resolve("open").orElseThrow().real();
    assertThat(cm.prune(PruneOptions.defaults(), u -> { }).removed()).isEqualTo(1);
    assertThat(cm.collectGarbage(Duration.ZERO).layers()).isZero();
    assertThat(Files.readString(file)).endsWith("open");
    List<UsageInfo> rows = new ArrayList<>();
    cm.diskUsage(UsageFilter.ALL, rows::add);
    assertThat(rows).filteredOn(u -> u.id().equals(DiskUsage.OPEN_FILES)).singleElement()
        .satisfies(u -> assertThat(u.size()).isGreaterThan(10_000));
    reader.release();
    GcResult after = cm.collectGarbage(); // its data is released now, like prune's: no grace

    assertThat(after.layers()).isEqualTo(1);
    assertThat(after.blobs()).isEqualTo(1);
    assertThat(file).doesNotExist();
  }

  @Test
  void unreferencedDataStoredWithinTheGraceIsKeptUntilTheGraceIsOver() throws IOException {
    Layers.Blob stray = blob("stray", 1000); // stored, never recorded (an import cut short)
    GcResult graced = cm.collectGarbage();
    assertThat(graced.blobs()).isZero();
    assertThat(graced.kept()).isEqualTo(1);
    assertThat(blobs()).containsExactly(stray.digest().hex());
    assertThat(cm.collectGarbage(Duration.ZERO).blobs()).isEqualTo(1);
    assertThat(blobs()).isEmpty();
  }

  @Test
  void aLeaseKeepsWhatIsStoredWhileItIsOpenEvenABlobStoredAgain() throws IOException {
    Layers.Blob old = blob("old", 1000);
    Files.setLastModifiedTime(root.resolve("content/blobs/sha256").resolve(old.digest().hex()),
        java.nio.file.attribute.FileTime.fromMillis(0));
    // An old unreferenced blob, stored again by an import under a lease: it stays.
    try (WorkLease lease = cm.lease()) {
      old.store(cm.contentStore());
      Layers.Blob fresh = blob("fresh", 1000);
      GcResult r = cm.collectGarbage(Duration.ZERO);
      assertThat(r.blobs()).isZero();
      assertThat(blobs()).containsExactlyInAnyOrder(old.digest().hex(), fresh.digest().hex());
    }
    assertThat(cm.collectGarbage(Duration.ZERO).blobs()).isEqualTo(2);
  }

  @Test
  void aBlobLabelledAsARootIsKept() throws IOException {
    Layers.Blob b = blob("config", 100);
    cm.contentStore().updateLabels(b.digest(), Map.of(GarbageCollector.ROOT_LABEL, "manifest"));
    assertThat(cm.collectGarbage(Duration.ZERO).blobs()).isZero();
    assertThat(blobs()).containsExactly(b.digest().hex());
  }

  @Test
  void liveRecordsDataIsNeverCollected() throws IOException {
    ImmutableRef lazyOnDisk = cm.getByBlob(blob("lazy", 100).desc(), null);
    ImmutableRef unpacked = cm.getByBlob(blob("unpacked", 100).desc(), null);
    unpacked.extract();
    MutableRef m = cm.newRef(null);
    m.mount(false);
    GcResult r = cm.collectGarbage(Duration.ZERO);
    assertThat(r).isEqualTo(new GcResult(0, 0, 0, 0, 0));
    assertThat(blobs()).hasSize(2);
    assertThat(entries("layers")).hasSize(1);
    assertThat(entries("uppers")).containsExactly(m.id());
    for (Ref x : List.of(lazyOnDisk, unpacked, m)) {
      x.release();
    }
  }

  /**
   * A crash after a prune wrote its tombstones (and before it cleared them or collected): the start
   * purges the tombstoned records and collects their data.
   */
  @Test
  void aStartAfterAPruneWasCutShortFinishesIt() throws Exception {
    String gone;
    String kept;
    try (ImmutableRef g = cm.getByBlob(blob("gone", 200_000).desc(), null);
         ImmutableRef k = cm.getByBlob(blob("kept", 1000).desc(), null)) {
      g.extract();
      gone = g.id();
      kept = k.id();
    }
    cm.close();
    List<String> dbs = new ArrayList<>(MetadataStore.DATABASES);
    dbs.add(ContentStore.DATABASE);
    try (LmdbEnvironment env = LmdbEnvironment.open(root.resolve("meta"), dbs)) {
      new MetadataStore(env).update(gone, w -> w.setValue("cache.deleted", Value.of(true)));
    }
    Files.createFile(root.resolve(GarbageCollector.PENDING));
    cm = CacheManager.open(CacheConfig.at(root));
    assertThat(cm.records()).extracting(RecordInfo::id).containsExactly(kept);
    cm.collectGarbage(); // waits for the start's deletion
    assertThat(entries("layers")).isEmpty();
    assertThat(blobs()).hasSize(1);
    assertThat(root.resolve(GarbageCollector.PENDING)).doesNotExist();
    assertThat(entries("tmp")).isEmpty();
  }

  @Test
  void anInterruptedPruneLeavesItsCollectionToTheNextStart() throws Exception {
    ImmutableRef base = cm.getByBlob(blob("base", 1000).desc(), null);
    String top;
    try (ImmutableRef t = cm.getByBlob(blob("top", 100_000).desc(), base)) {
      t.extract();
      top = t.id();
    }
    base.release();
    PruneResult r;
    try {
      r = cm.prune(PruneOptions.defaults(), u -> Thread.currentThread().interrupt());
    } finally {
      Thread.interrupted();
    }
    assertThat(r.cancelled()).isTrue();
    assertThat(r.gc()).isEqualTo(GcResult.NONE);
    assertThat(entries("layers")).hasSize(2);
    assertThat(root.resolve(GarbageCollector.PENDING)).exists();
    reopen();
    cm.collectGarbage();
    assertThat(cm.records()).extracting(RecordInfo::id).containsExactly(base.id());
    assertThat(entries("layers")).containsExactly(base.diffId().orElseThrow().encoded());
    assertThat(top).isNotNull();
  }
}
