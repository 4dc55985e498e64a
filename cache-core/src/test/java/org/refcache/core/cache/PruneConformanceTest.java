package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.refcache.testing.CacheFixture;
import org.refcache.testing.TestClock;

/**
 * Prune, spec section 7 cases 22-27, 29 and 30 (case 28, the collection after it, is in
 * {@link GarbageCollectionTest}), and refcache's own decisions about it.
 */
class PruneConformanceTest extends CacheFixture {
  final TestClock clock = new TestClock(Instant.parse("2026-01-01T00:00:00Z"));

  @Override
  protected CacheConfig config() {
    return new CacheConfig(root, clock, null);
  }

  private ImmutableRef layer(String name, ImmutableRef parent, RefOption... opts) throws IOException {
    Layers.Blob b = Layers.uncompressed(Layers.files(name, random(name, 20_000))).store(cm.contentStore());
    return cm.getByBlob(b.desc(), parent, opts);
  }

  private String released(String name, ImmutableRef parent, RefOption... opts) throws IOException {
    try (ImmutableRef r = layer(name, parent, opts)) {
      return r.id();
    }
  }

  private static String random(String seed, int n) {
    Random r = new Random(seed.hashCode());
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) ('a' + r.nextInt(26)));
    }
    return sb.toString();
  }

  /** Prunes with {@code o}; the IDs given to the consumer, in order. */
  private List<String> prune(PruneOptions o) {
    List<String> out = new ArrayList<>();
    cm.prune(o, u -> out.add(u.id()));
    return out;
  }

  private boolean exists(String id) {
    return cm.records().stream().anyMatch(r -> r.id().equals(id));
  }

  // ------------------------------------------------------------------ spec cases

  @Test
  void case22_defaultPruneRemovesEveryUnusedRecordChildrenFirst() throws IOException {
    ImmutableRef base = layer("base", null);
    String child = released("child", base);
    String baseId = base.id();
    base.release();
    assertThat(prune(PruneOptions.defaults())).containsExactly(child, baseId);
    assertThat(cm.records()).isEmpty();
    assertThatThrownBy(() -> cm.get(baseId)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void case23_heldRecordsAndParentsOfHeldChildrenStay() throws IOException {
    ImmutableRef base = layer("base", null);
    ImmutableRef child = layer("child", base);
    base.release();
    MutableRef m = cm.newRef(null);
    assertThat(prune(PruneOptions.defaults())).isEmpty();
    assertThat(exists(base.id())).isTrue();
    child.release();
    m.release();
  }

  @Test
  void case24_releasingAChildLetsOnlyTheChildGoWhileTheParentIsHeld() throws IOException {
    ImmutableRef base = layer("base", null);
    String child = released("child", base);
    assertThat(prune(PruneOptions.defaults())).containsExactly(child);
    assertThat(exists(base.id())).isTrue();
    base.release();
  }

  @Test
  void case25_anIdFilterRemovesOnlyThatRecordAndNothingWhileItIsHeld() throws IOException {
    String a = released("a", null);
    String b = released("b", null);
    ImmutableRef held = cm.get(a);
    PruneOptions onlyA = PruneOptions.defaults().withFilter(UsageFilter.parse("id==" + a));
    assertThat(prune(onlyA)).isEmpty();
    held.release();
    assertThat(prune(onlyA)).containsExactly(a);
    assertThat(exists(b)).isTrue();
  }

  /**
   * Without {@code all}, internal and frontend records stay; with it they go. Records that share
   * data with others are not spared (refcache's decision: there is no image store to share with).
   */
  @Test
  void case26_allAlsoRemovesInternalAndFrontendRecords() throws IOException {
    String internal = released("i", null, RefOptions.recordType(RecordTypes.INTERNAL));
    String frontend = released("f", null, RefOptions.recordType(RecordTypes.FRONTEND));
    String regular = released("r", null);
    Layers.Blob same = Layers.uncompressed(Layers.files("same", "s")).store(cm.contentStore());
    String p1 = released("p1", null);
    String p2 = released("p2", null);
    String s1;
    String s2;
    try (ImmutableRef x = cm.get(p1); ImmutableRef y = cm.get(p2);
         ImmutableRef a = cm.getByBlob(same.desc(), x); ImmutableRef b = cm.getByBlob(same.desc(), y)) {
      s1 = a.id();
      s2 = b.id();
    }
    assertThat(prune(PruneOptions.defaults())).containsExactlyInAnyOrder(regular, s1, s2, p1, p2);
    assertThat(exists(internal)).isTrue();
    assertThat(exists(frontend)).isTrue();
    assertThat(prune(PruneOptions.defaults().withAll(true))).containsExactlyInAnyOrder(internal, frontend);
  }

  @Test
  void case27_keepDurationSparesRecentlyUsedRecordsNotNeverUsedOnes() throws IOException {
    String old = released("old", null);
    clock.advance(Duration.ofHours(3));
    String recent = released("recent", null);
    String neverUsed;
    try (ImmutableRef r = layer("never", null, RefOptions.noUpdateLastUsed())) {
      neverUsed = r.id();
    }
    assertThat(cm.info(neverUsed).lastUsedAt()).isNull();
    clock.advance(Duration.ofHours(1));
    assertThat(prune(PruneOptions.defaults().withKeepDuration(Duration.ofHours(2))))
        .containsExactlyInAnyOrder(old, neverUsed);
    assertThat(exists(recent)).isTrue();
    assertThat(prune(PruneOptions.defaults().withKeepDuration(Duration.ofMinutes(30)))).containsExactly(recent);
  }

  @Test
  void case29_keepBytesFollowsBuildKitsFormula() {
    PruneOptions none = PruneOptions.defaults();
    assertThat(KeepBytes.calculate(1000, 9000, none)).isEqualTo(0);
    assertThat(KeepBytes.calculate(1000, 9000, none.withMaxUsedSpace(2000))).isEqualTo(2000);
    assertThat(KeepBytes.calculate(7000, 3000, none.withMinFreeSpace(5000))).isEqualTo(5000);
    assertThat(KeepBytes.calculate(7000, 3000, none.withMinFreeSpace(5000).withReservedSpace(6000))).isEqualTo(6000);
    assertThat(KeepBytes.calculate(7000, 3000,
        none.withMinFreeSpace(5000).withReservedSpace(2000).withMaxUsedSpace(4000))).isEqualTo(4000);
    assertThat(KeepBytes.calculate(4000, 2000, none.withMaxUsedSpace(2000))).isEqualTo(2000);
    assertThat(KeepBytes.calculate(4000, 2000, none.withMinFreeSpace(5000))).isEqualTo(1000);
    assertThat(KeepBytes.calculate(4000, 2000, none.withMinFreeSpace(5000).withReservedSpace(2000))).isEqualTo(2000);
    assertThat(KeepBytes.calculate(4000, 2000,
        none.withMinFreeSpace(5000).withReservedSpace(2000).withMaxUsedSpace(4000))).isEqualTo(2000);
    assertThat(KeepBytes.calculate(4000, 9000, none.withMinFreeSpace(5000))).as("enough free: keep all")
        .isEqualTo(4000);
  }

  @Test
  void case30_aSizeTargetRemovesLeastRecentlyUsedFirstAndStopsAtTheTarget() throws IOException {
    List<String> ids = new ArrayList<>();
    for (String n : List.of("r0", "r1", "r2", "r3")) {
      ids.add(released(n, null));
    }
    // Last uses: r2 oldest, then r0, r3, r1.
    for (int i : new int[] {2, 0, 3, 1}) {
      clock.advance(Duration.ofMinutes(1));
      cm.get(ids.get(i)).release();
    }
    List<UsageInfo> rows = new ArrayList<>();
    UsageTotals before = cm.diskUsage(UsageFilter.ALL, rows::add);
    long r2 = rows.stream().filter(u -> u.id().equals(ids.get(2))).findFirst().orElseThrow().size();
    long r0 = rows.stream().filter(u -> u.id().equals(ids.get(0))).findFirst().orElseThrow().size();
    long target = before.total() - r2 - r0 / 2;
    List<String> removed = new ArrayList<>();
    PruneResult result = cm.prune(PruneOptions.defaults().withMaxUsedSpace(target), u -> removed.add(u.id()));
    assertThat(result.totalBefore()).isEqualTo(before.total());
    assertThat(result.keepBytes()).isEqualTo(target);
    assertThat(removed).containsExactly(ids.get(2), ids.get(0));
    assertThat(result.reclaimedBytes()).isEqualTo(r2 + r0);
    assertThat(exists(ids.get(3))).isTrue();
    assertThat(exists(ids.get(1))).isTrue();
  }

  /** Least frequently used breaks a tie of last use (both ranks count). */
  @Test
  void equalLastUseGoesByUseCount() throws IOException {
    String a = released("a", null);
    String b = released("b", null);
    // The one that would go first by ID alone is used more often: it must go last.
    String often = a.compareTo(b) < 0 ? a : b;
    String rare = often.equals(a) ? b : a;
    for (int i = 0; i < 3; i++) {
      cm.get(often).release(); // the clock stands still: the same last use as the other
    }
    List<String> order = new ArrayList<>();
    cm.prune(PruneOptions.defaults().withMaxUsedSpace(1), u -> order.add(u.id()));
    assertThat(order).containsExactly(rare, often);
  }

  // ------------------------------------------------------------------ refcache's own

  @Test
  void aRecordOnlyWeakHandlesHoldIsPrunedAndTheHandleStillReadsItsTree() throws IOException {
    ImmutableRef base = layer("base", null);
    ImmutableRef child = layer("child", base);
    base.release();
    String childId = child.id();
    child.release();
    ImmutableRef weak = cm.get(childId, RefOptions.weak());
    var tree = weak.mount(true);
    assertThat(prune(PruneOptions.defaults())).containsExactly(childId);
    assertThat(exists(childId)).isFalse();
    assertThat(exists(base.id())).as("the pruned child's reader keeps its parent").isTrue();
    assertThat(tree.resolve("child")).isPresent();
    assertThat(tree.resolve("base")).isPresent();
    weak.release();
    assertThat(prune(PruneOptions.defaults())).containsExactly(base.id());
  }

  @Test
  void aCommittedPairIsPrunedAsOneWhateverSideIsReported() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.release();
    assertThat(prune(PruneOptions.defaults())).containsExactly(m.id());
    assertThat(cm.records()).isEmpty();
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void aFilterOnParentsAppliesDuringPrune() throws IOException {
    ImmutableRef base = layer("base", null);
    String child = released("child", base);
    String other = released("other", null);
    assertThat(prune(PruneOptions.defaults().withFilter(UsageFilter.parse("parents==" + base.id()))))
        .containsExactly(child);
    assertThat(exists(other)).isTrue();
    base.release();
  }

  @Test
  void prunedRecordsStayGoneAfterARestartAndLeaveNoTombstone() throws IOException {
    String a = released("a", null);
    String b = released("b", null);
    assertThat(prune(PruneOptions.defaults())).containsExactlyInAnyOrder(a, b);
    reopen();
    assertThat(cm.records()).isEmpty();
    assertThatThrownBy(() -> cm.get(a)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void interruptingStopsBetweenBatchesKeepingWhatIsLeft() throws IOException {
    ImmutableRef base = layer("base", null);
    ImmutableRef mid = layer("mid", base);
    String top = released("top", mid);
    base.release();
    mid.release();
    List<String> removed = new ArrayList<>();
    PruneResult r;
    try {
      r = cm.prune(PruneOptions.defaults(), u -> {
        removed.add(u.id());
        Thread.currentThread().interrupt();
      });
    } finally {
      Thread.interrupted();
    }
    assertThat(r.cancelled()).isTrue();
    assertThat(removed).containsExactly(top);
    assertThat(exists(mid.id())).isTrue();
    assertThat(prune(PruneOptions.defaults())).containsExactly(mid.id(), base.id());
  }

  @Test
  void aRecordPruneHasTakenOutOfMemoryIsNotLoadedAgainBeforeItsMetadataIsCleared() throws IOException {
    // Prune takes a batch out of memory under the lock and writes its metadata after, outside it:
    // in between, the record's metadata is still in LMDB and must not bring it back.
    String id = released("gone", null);
    cm.records.mu.lock();
    try {
      cm.records.detachPrunedLocked(cm.records.loadedLocked(id));
    } finally {
      cm.records.mu.unlock();
    }
    assertThatThrownBy(() -> cm.get(id)).isInstanceOf(NotFoundException.class);
    assertThat(exists(id)).isFalse();
  }
}
