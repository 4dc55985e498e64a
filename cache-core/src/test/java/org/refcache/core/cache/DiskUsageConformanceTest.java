package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * Disk usage, spec section 7 cases 17-21, and refcache's own promises about it: sizes from real
 * blocks, data several records share counted once, rows that add up to what the root takes on disk.
 * Merge and diff records are made through their stored metadata (as a restart loads them).
 */
class DiskUsageConformanceTest extends CacheFixture {
  /** The record rows of an unfiltered answer. */
  private List<UsageInfo> records() {
    List<UsageInfo> out = new ArrayList<>();
    cm.diskUsage(UsageFilter.ALL, u -> {
      if (!u.isServiceRow()) {
        out.add(u);
      }
    });
    return out;
  }

  /** (in use, unused) record counts, as BuildKit's tests count them. */
  private int[] counts() {
    int[] c = new int[2];
    for (UsageInfo u : records()) {
      c[u.inUse() ? 0 : 1]++;
    }
    return c;
  }

  private UsageInfo row(String id) {
    return records().stream().filter(u -> u.id().equals(id)).findFirst().orElseThrow(
        () -> new AssertionError("no row for " + id + " in " + records()));
  }

  private ImmutableRef layer(String name, ImmutableRef parent) throws IOException {
    Layers.Blob b = Layers.gzipped(Layers.files(name, name + "-content")).store(cm.contentStore());
    return cm.getByBlob(b.desc(), parent);
  }

  private static void storeMerge(MetadataStore store, String id, List<String> inputs) {
    store.update(id, w -> {
      w.setValue("cache.mergeParents", Value.of(inputs));
      w.setValue("snapshot.committed", Value.of(true));
      w.setValue("cache.createdAt", Value.of(1L));
      w.setValue("cache.snapshot", Value.of(id));
    });
  }

  private static void storeDiff(MetadataStore store, String id, String lower, String upper) {
    store.update(id, w -> {
      w.setValue("cache.lowerDiffParent", Value.of(lower));
      w.setValue("cache.upperDiffParent", Value.of(upper));
      w.setValue("snapshot.committed", Value.of(true));
      w.setValue("cache.createdAt", Value.of(1L));
      w.setValue("cache.snapshot", Value.of(id));
    });
  }

  // ------------------------------------------------------------------ spec cases

  @Test
  void case17_newAndCommitAreOneRecordInUse() {
    assertThat(counts()).containsExactly(0, 0);
    MutableRef m = cm.newRef(null, RefOptions.retain());
    assertThat(counts()).containsExactly(1, 0);
    ImmutableRef c = m.commit();
    assertThat(counts()).containsExactly(1, 0);
    assertThat(records()).singleElement().satisfies(u -> {
      assertThat(u.id()).isEqualTo(c.id());
      assertThat(u.mutable()).isFalse();
    });
    c.release();
  }

  @Test
  void case18_releasedCommitOfARetainedMutableIsOneUnusedMutable() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.release();
    assertThat(counts()).containsExactly(0, 1);
    assertThat(records()).singleElement().satisfies(u -> {
      assertThat(u.id()).isEqualTo(m.id());
      assertThat(u.mutable()).isTrue();
    });
  }

  @Test
  void case19_aParentIsInUseOnlyThroughAnInUseChild() throws IOException {
    ImmutableRef base = layer("base", null);
    ImmutableRef child = layer("child", base);
    base.release();
    assertThat(row(base.id()).inUse()).as("held by its held child").isTrue();
    assertThat(row(child.id()).inUse()).isTrue();
    child.release();
    assertThat(row(base.id()).inUse()).as("held only by an unused child").isFalse();
    assertThat(counts()).containsExactly(0, 2);
    // Two levels, through a mutable on top: in use all the way down while the mutable is held.
    MutableRef top;
    try (ImmutableRef c = cm.get(child.id())) {
      top = cm.newRef(c);
    }
    assertThat(counts()).containsExactly(3, 0);
    top.release();
    assertThat(counts()).containsExactly(0, 2);
  }

  @Test
  void case20_aDiffKeepsItsInputsInUse() throws IOException {
    String lower;
    String upper;
    try (ImmutableRef l = layer("lower", null); ImmutableRef u = layer("upper", l)) {
      lower = l.id();
      upper = u.id();
    }
    String diff = "diffrecord00000000000000a";
    withClosedStore(s -> storeDiff(s, diff, lower, upper));
    ImmutableRef d = cm.get(diff);
    assertThat(counts()).containsExactly(3, 0);
    assertThat(row(diff).parents()).containsExactly(lower, upper);
    d.release();
    assertThat(counts()).containsExactly(0, 3);
  }

  @Test
  void case21_aMergeOfSixInputsKeepsThemInUseNotTheInnerMerges() throws IOException {
    List<String> inputs = new ArrayList<>();
    for (String n : List.of("a", "b", "c", "d", "e", "f")) {
      try (ImmutableRef r = layer(n, null)) {
        inputs.add(r.id());
      }
    }
    withClosedStore(s -> {
      storeMerge(s, "merge1record0000000000000", inputs.subList(0, 3));
      storeMerge(s, "merge2record0000000000000", inputs.subList(3, 6));
      storeMerge(s, "merge3record0000000000000", inputs); // flattened, as Merge(merge1, merge2) stores it
    });
    ImmutableRef m3 = cm.get("merge3record0000000000000");
    assertThat(row(m3.id()).parents()).hasSize(6);
    assertThat(counts()).containsExactly(7, 2);
    m3.release();
    assertThat(counts()).containsExactly(0, 9);
  }

  // ------------------------------------------------------------------ refcache's own

  @Test
  void rowsCarryBuildKitsFieldsInIdOrder() throws IOException {
    ImmutableRef base = layer("base", null);
    ImmutableRef child = cm.getByBlob(
        Layers.gzipped(Layers.files("c", "1")).store(cm.contentStore()).desc(), base,
        RefOptions.description("the child"), RefOptions.recordType(RecordTypes.LOCAL_SOURCE));
    child.release();
    base.release();
    List<String> ids = records().stream().map(UsageInfo::id).toList();
    assertThat(ids).isSorted();
    UsageInfo c = row(child.id());
    assertThat(c.description()).isEqualTo("the child");
    assertThat(c.recordType()).isEqualTo(RecordTypes.LOCAL_SOURCE);
    assertThat(c.parents()).containsExactly(base.id());
    assertThat(c.usageCount()).isEqualTo(1);
    assertThat(c.lastUsedAt()).isNotNull();
    assertThat(c.createdAt()).isNotNull();
    assertThat(row(base.id()).recordType()).isEqualTo(RecordTypes.REGULAR);
    assertThat(row(base.id()).lastUsedAt()).as("released once, counted").isNotNull();
  }

  @Test
  void aBlobAndLayerTwoRecordsUseAreCountedOnceAndMarkedShared() throws Exception {
    Layers.Blob big = Layers.gzipped(Layers.files("big", "x".repeat(300_000) + Math.random()))
        .store(cm.contentStore());
    ImmutableRef p1 = layer("p1", null);
    ImmutableRef p2 = layer("p2", null);
    ImmutableRef a = cm.getByBlob(big.desc(), p1);
    ImmutableRef b = cm.getByBlob(big.desc(), p2);
    a.extract();
    b.extract();
    assertThat(a.id()).isNotEqualTo(b.id());
    long blob = Files.size(root.resolve("content/blobs/sha256").resolve(big.digest().hex()));
    UsageInfo ra = row(a.id());
    UsageInfo rb = row(b.id());
    assertThat(ra.shared()).isTrue();
    assertThat(rb.shared()).isTrue();
    assertThat(row(p1.id()).shared()).isFalse();
    // The two halves add up to the one copy on disk: blob + unpacked layer, counted once.
    String diffId = Digest.parse(big.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)).encoded();
    long once = du(root.resolve("content/blobs/sha256").resolve(big.digest().hex()))
        + du(root.resolve("layers").resolve(diffId));
    assertThat(ra.size() + rb.size()).isEqualTo(once);
    assertThat(once).isGreaterThan(blob + 300_000);
    for (ImmutableRef r : List.of(a, b, p1, p2)) {
      r.release();
    }
  }

  @Test
  void aWeakHandleDoesNotMakeARecordInUse() throws IOException {
    String id;
    try (ImmutableRef r = layer("w", null)) {
      id = r.id();
    }
    try (ImmutableRef weak = cm.get(id, RefOptions.weak())) {
      assertThat(row(id).inUse()).isFalse();
      try (ImmutableRef strong = cm.get(id)) {
        assertThat(row(id).inUse()).isTrue();
      }
    }
  }

  @Test
  void aFilterSelectsRowsAndTheirTotalsOnly() throws IOException {
    ImmutableRef a = layer("a", null);
    ImmutableRef b = cm.getByBlob(Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore()).desc(), null,
        RefOptions.recordType(RecordTypes.CACHE_MOUNT));
    b.release();
    List<UsageInfo> got = new ArrayList<>();
    UsageTotals t = cm.diskUsage(UsageFilter.parse("type==exec.cachemount"), got::add);
    assertThat(got).extracting(UsageInfo::id).containsExactly(b.id());
    assertThat(t.rows()).isEqualTo(1);
    assertThat(t.total()).isEqualTo(got.get(0).size());
    assertThat(t.reclaimable()).isEqualTo(got.get(0).size());
    got.clear();
    cm.diskUsage(UsageFilter.parse("inuse"), got::add);
    assertThat(got).extracting(UsageInfo::id).containsExactly(a.id());
    a.release();
    assertThatThrownBy(() -> UsageFilter.parse("colour==blue")).isInstanceOf(InvalidFilterException.class)
        .hasMessageContaining("unknown field \"colour\"");
  }

  /**
   * The rows add up to what {@code du} says the state root takes, across imports, unpacks, a
   * mutable's writes and a commit; the data alone (without LMDB's preallocated map) too.
   */
  @Test
  void rowsAddUpToWhatTheRootTakesOnDisk() throws Exception {
    ImmutableRef base = cm.getByBlob(Layers.gzipped(Layers.files("lib/a", "a".repeat(2_000_000),
        "lib/b", rnd(1_500_000))).store(cm.contentStore()).desc(), null);
    base.extract();
    ImmutableRef lazy = cm.getByBlob(Layers.uncompressed(Layers.files("lazy", rnd(700_000)))
        .store(cm.contentStore()).desc(), base);
    MutableRef m = cm.newRef(base, RefOptions.retain());
    WritableOverlayTree t = (WritableOverlayTree) m.mount(false);
    Files.writeString(t.createFile("written", 0644, 0, 0, true), rnd(1_200_000));
    Files.writeString(t.openForWrite("lib/a", false), "changed"); // a copy-up
    ImmutableRef c = m.commit();
    MutableRef open = cm.newRef(c);
    Files.writeString(((WritableOverlayTree) open.mount(false)).createFile("more", 0644, 0, 0, true),
        rnd(900_000));
    Map<String, Long> rows = new java.util.TreeMap<>();
    UsageTotals totals = cm.diskUsage(UsageFilter.ALL, u -> rows.put(u.id(), u.size()));
    long onDisk = du(root);
    long meta = du(root.resolve("meta"));
    assertThat(totals.total()).isEqualTo(rows.values().stream().mapToLong(Long::longValue).sum());
    assertThat((double) totals.total()).as("rows %s against du %d", rows, onDisk)
        .isCloseTo(onDisk, org.assertj.core.data.Percentage.withPercentage(10));
    long data = totals.total() - rows.get(DiskUsage.METADATA);
    assertThat((double) data).as("without LMDB: rows %s against du %d", rows, onDisk - meta)
        .isCloseTo(onDisk - meta, org.assertj.core.data.Percentage.withPercentage(10));
    assertThat(data).isGreaterThan(6_000_000);
    for (Ref r : List.of(open, c, lazy, base)) {
      r.release();
    }
  }

  private static String rnd(int n) {
    java.util.Random r = new java.util.Random(n);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) ('a' + r.nextInt(26)));
    }
    return sb.toString();
  }

  /** What {@code du -sxB1} says. */
  static long du(Path p) throws IOException, InterruptedException {
    Process proc = new ProcessBuilder("du", "-sxB1", p.toString()).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes()).trim();
    if (proc.waitFor() != 0) {
      throw new IOException("du " + p + ": " + out);
    }
    return Long.parseLong(out.split("\\s+")[0]);
  }
}
