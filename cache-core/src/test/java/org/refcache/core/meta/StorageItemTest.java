package org.refcache.core.meta;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageItemTest extends MetadataStoreFixture {
  private static List<String> ids(List<StorageItem> items) {
    return items.stream().map(StorageItem::id).toList();
  }

  @Test
  void queuedWritesBecomeVisibleTogetherAtCommit() {
    StorageItem item = store.get("rec");
    item.queueString("cache.description", "built", null);
    item.queueValue("cache.createdAt", Value.of(42L));
    item.queueString("cache.chainID", "sha256:c", "chainid:sha256:c");
    item.queue(w -> w.setExternal("filelist", "[\"a\"]".getBytes(UTF_8)));

    assertThat(item.hasQueued()).isTrue();
    assertThat(item.keys()).as("memory waits for the commit").isEmpty();
    assertThat(store.get("rec").exists()).as("nothing written before commit").isFalse();
    assertThat(store.probe("chainid:sha256:c")).isFalse();

    item.commit();

    assertThat(item.hasQueued()).isFalse();
    assertThat(item.keys()).containsExactly("cache.chainID", "cache.createdAt", "cache.description");
    StorageItem loaded = store.get("rec");
    assertThat(loaded.getString("cache.description")).isEqualTo("built");
    assertThat(loaded.getLong("cache.createdAt", 0)).isEqualTo(42L);
    assertThat(loaded.getExternal("filelist")).isEqualTo("[\"a\"]".getBytes(UTF_8));
    assertThat(ids(store.search("chainid:sha256:c", false))).containsExactly("rec");
    item.commit();
  }

  @Test
  void aFailingQueuedOperationLeavesNothingAppliedAndEmptiesTheQueue() {
    StorageItem item = store.get("rec");
    item.setString("kept", "before", null);
    item.queueString("kept", "after", null);
    item.queueString("indexed", "v", "tag:x");
    item.queue(w -> {
      throw new IllegalStateException("queued op failed");
    });
    item.queueString("late", "v", null);

    assertThatThrownBy(item::commit).isInstanceOf(IllegalStateException.class).hasMessage("queued op failed");

    assertThat(item.hasQueued()).isFalse();
    assertThat(item.getString("kept")).isEqualTo("before");
    assertThat(item.keys()).containsExactly("kept");
    StorageItem loaded = store.get("rec");
    assertThat(loaded.keys()).containsExactly("kept");
    assertThat(loaded.getString("kept")).isEqualTo("before");
    assertThat(store.probe("tag:x")).isFalse();

    item.commit();
    assertThat(store.get("rec").keys()).containsExactly("kept");
  }

  @Test
  void getAndSetValueIsAtomicUnder8ConcurrentThreads() throws Exception {
    StorageItem shared = store.get("counter");
    int threads = 8;
    int increments = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      // Half the threads use the shared item, half load their own: atomicity must hold across both.
      StorageItem item = t % 2 == 0 ? shared : store.get("counter");
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < increments; i++) {
          item.getAndSetValue("cache.usageCount",
              v -> Value.of((v == null ? 0 : v.asLong()) + 1));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(store.get("counter").getLong("cache.usageCount", -1)).isEqualTo(threads * increments);
    Value last = shared.getAndSetValue("cache.usageCount", v -> Value.SKIP);
    assertThat(last.asLong()).isEqualTo(threads * increments);
  }

  @Test
  void getAndSetValueReturningSkipWritesNothing() {
    StorageItem item = store.get("rec");
    AtomicInteger calls = new AtomicInteger();
    Value result = item.getAndSetValue("k", v -> {
      calls.incrementAndGet();
      assertThat(v).isNull();
      return Value.SKIP;
    });
    assertThat(result).isNull();
    assertThat(calls).hasValue(1);
    assertThat(item.exists()).isFalse();
    assertThat(store.get("rec").exists()).as("SKIP does not even create the item").isFalse();

    item.setString("k", "v", null);
    Value kept = item.getAndSetValue("k", v -> Value.SKIP);
    assertThat(kept).isEqualTo(Value.of("v"));
    assertThat(store.get("rec").getString("k")).isEqualTo("v");

    Value set = item.getAndSetValue("k", v -> Value.of(v.asString() + "2", "tag:v2"));
    assertThat(set).isEqualTo(Value.of("v2", "tag:v2"));
    assertThat(item.getString("k")).isEqualTo("v2");
    assertThat(ids(store.search("tag:v2", false))).containsExactly("rec");

    assertThat(item.getAndSetValue("k", v -> null)).isNull();
    assertThat(item.get("k")).isNull();
    assertThat(store.probe("tag:v2")).isFalse();
  }

  @Test
  void clearValueAndIndexDeletesTheValueAndTheIndexBuiltFromIt() {
    StorageItem item = store.get("rec");
    // As other packages do: the index is a prefix plus the value (spec 2.19).
    item.setString("local.sharedKey", "abc", "local.sharedKey:abc");
    item.setString("other", "x", "local.sharedKey:x");
    assertThat(ids(store.search("local.sharedKey:abc", false))).containsExactly("rec");

    item.clearValueAndIndex("local.sharedKey", "local.sharedKey:");

    assertThat(item.get("local.sharedKey")).isNull();
    assertThat(store.search("local.sharedKey:abc", false)).isEmpty();
    assertThat(ids(store.search("local.sharedKey:x", false))).as("other indexes stay").containsExactly("rec");
    assertThat(item.indexes()).containsExactly("local.sharedKey:x");
    StorageItem loaded = store.get("rec");
    assertThat(loaded.keys()).containsExactly("other");
    assertThat(loaded.indexes()).containsExactly("local.sharedKey:x");
  }

  @Test
  void clearValueAndIndexRemovesTheIndexAnOverwriteLeftBehind() {
    StorageItem item = store.get("rec");
    item.setString("etag", "one", "etag:one");
    // An overwrite without an index leaves etag:one in place (the quirk)...
    item.setString("etag", "one", null);
    assertThat(ids(store.search("etag:one", false))).containsExactly("rec");
    // ...which is why callers clear by the value they know.
    item.clearValueAndIndex("etag", "etag:");
    assertThat(store.search("etag:one", false)).isEmpty();
    assertThat(store.get("rec").indexes()).isEmpty();
  }

  @Test
  void overwritingAnIndexedValueKeepsTheOldIndexEntry() {
    StorageItem item = store.get("rec");
    item.setString("cache.chainID", "sha256:old", "chainid:sha256:old");
    item.setString("cache.chainID", "sha256:new", "chainid:sha256:new");

    assertThat(item.getString("cache.chainID")).isEqualTo("sha256:new");
    assertThat(ids(store.search("chainid:sha256:new", false))).containsExactly("rec");
    assertThat(ids(store.search("chainid:sha256:old", false))).as("BuildKit quirk: old index stays")
        .containsExactly("rec");
    assertThat(item.indexes()).containsExactly("chainid:sha256:new", "chainid:sha256:old");
    assertThat(store.get("rec").indexes()).containsExactly("chainid:sha256:new", "chainid:sha256:old");
  }

  @Test
  void settingNullDeletesTheValueAndItsIndexButTheItemStays() {
    StorageItem item = store.get("rec");
    item.setString("k", "v", "tag:k");
    item.setValue("k", null);

    assertThat(item.get("k")).isNull();
    assertThat(item.indexes()).isEmpty();
    assertThat(store.probe("tag:k")).isFalse();
    StorageItem loaded = store.get("rec");
    assertThat(loaded.keys()).isEmpty();
    assertThat(loaded.exists()).as("like a BuildKit bucket, the item outlives its values").isTrue();

    item.setValue("never-set", null);
    assertThat(store.get("rec").keys()).isEmpty();
  }

  @Test
  void typedReadsDecodeJsonAndNameItemAndKeyOnMismatch() {
    StorageItem item = store.get("rec");
    item.update(w -> {
      w.setValue("s", Value.of("text"));
      w.setValue("n", Value.of(-7L));
      w.setValue("big", Value.of(Long.MAX_VALUE));
      w.setValue("t", Value.of(true));
      w.setValue("list", Value.of(List.of("a", "b")));
      w.setValue("null", Value.of(null));
    });
    StorageItem loaded = store.get("rec");
    for (StorageItem i : List.of(item, loaded)) {
      assertThat(i.getString("s")).isEqualTo("text");
      assertThat(i.getLong("n", 0)).isEqualTo(-7L);
      assertThat(i.getLong("big", 0)).isEqualTo(Long.MAX_VALUE);
      assertThat(i.getLong("absent", 99)).isEqualTo(99);
      assertThat(i.getLong("null", 99)).isEqualTo(99);
      assertThat(i.getBool("t")).isTrue();
      assertThat(i.getBool("absent")).isFalse();
      assertThat(i.getStringList("list")).containsExactly("a", "b");
      assertThat(i.getStringList("absent")).isEmpty();
      assertThat(i.getString("absent")).isNull();
      assertThat(i.getString("null")).isNull();
    }
    assertThatThrownBy(() -> loaded.getLong("s", 0)).isInstanceOf(MetadataException.class)
        .hasMessageContaining("rec").hasMessageContaining("key s");
    assertThatThrownBy(() -> loaded.getString("n")).isInstanceOf(MetadataException.class)
        .hasMessageContaining("key n");
    assertThatThrownBy(() -> loaded.getBool("list")).isInstanceOf(MetadataException.class);
    assertThatThrownBy(() -> loaded.getStringList("s")).isInstanceOf(MetadataException.class);
  }

  @Test
  void externalValuesAreStoredApartAndNeverLoadedWithTheItem() {
    StorageItem item = store.get("rec");
    assertThat(item.getExternal("filelist")).isNull();
    byte[] big = new byte[1 << 20];
    big[0] = 1;
    big[big.length - 1] = 2;
    item.setExternal("filelist", big);
    item.setExternal("empty", new byte[0]);

    assertThat(item.exists()).as("external values alone do not create the item").isFalse();
    StorageItem loaded = store.get("rec");
    assertThat(loaded.keys()).isEmpty();
    assertThat(loaded.getExternal("filelist")).isEqualTo(big);
    assertThat(loaded.getExternal("empty")).isEmpty();
    loaded.setExternal("filelist", null);
    assertThat(item.getExternal("filelist")).isNull();
    assertThat(item.getExternal("empty")).isEmpty();
  }

  @Test
  void memoryFollowsOnlyCommittedWrites() {
    StorageItem item = store.get("rec");
    item.setString("a", "1", null);
    assertThatThrownBy(() -> item.update(w -> {
      w.setValue("a", Value.of("2"));
      w.setValue("b", Value.of("3", "tag:b"));
      throw new IllegalArgumentException("abort");
    })).hasMessage("abort");
    assertThat(item.keys()).containsExactly("a");
    assertThat(item.getString("a")).isEqualTo("1");
    assertThat(item.indexes()).isEmpty();

    // Another handle's writes are not seen until the item is loaded again.
    store.get("rec").setString("a", "other", null);
    assertThat(item.getString("a")).isEqualTo("1");
    assertThat(store.get("rec").getString("a")).isEqualTo("other");
  }

  @Test
  void callbacksThatCallBackIntoTheStoreFailInsteadOfDeadlocking() {
    StorageItem item = store.get("rec");
    assertThatThrownBy(() -> item.update(w -> store.get("other")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
    assertThat(store.get("rec").exists()).isFalse();
  }

  @Test
  void skipIsRefusedOutsideGetAndSetValue() {
    StorageItem item = store.get("rec");
    assertThatThrownBy(() -> item.setValue("k", Value.SKIP)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> item.queueValue("k", Value.SKIP)).isInstanceOf(IllegalArgumentException.class);
    assertThat(item.hasQueued()).isFalse();
    assertThat(store.get("rec").exists()).isFalse();
  }

  @Test
  void valuesAreStoredAsBuildKitDocuments() {
    store.get("rec").setValue("k", Value.of(List.of("x"), "tag:x"));
    store.get("rec").setValue("plain", Value.of(5));
    byte[] doc = env.read(txn -> txn.get(store.main, "rec\0k".getBytes(UTF_8)));
    byte[] plain = env.read(txn -> txn.get(store.main, "rec\0plain".getBytes(UTF_8)));
    byte[] index = env.read(txn -> txn.get(store.index, "tag:x::rec".getBytes(UTF_8)));
    assertThat(new String(doc, UTF_8)).isEqualTo("{\"value\":[\"x\"],\"index\":\"tag:x\"}");
    assertThat(new String(plain, UTF_8)).isEqualTo("{\"value\":5}");
    assertThat(index).containsExactly(0);
  }

  @Test
  void aCommitRetriedAfterTheMapGrewAppliesItsChangesOnce(@TempDir Path small) throws Exception {
    try (LmdbEnvironment tiny = LmdbEnvironment.open(small, MetadataStore.DATABASES, 0, 128 << 10)) {
      MetadataStore smallStore = new MetadataStore(tiny);
      long initial = tiny.mapSize();
      StorageItem item = smallStore.get("big");
      String filler = "x".repeat(3000);
      AtomicInteger runs = new AtomicInteger();
      item.queue(w -> runs.incrementAndGet());
      for (int i = 0; i < 200; i++) {
        item.queueString(String.format("k%03d", i), filler + i, "tag:" + (i % 3));
      }
      item.commit();

      assertThat(tiny.mapSize()).isGreaterThan(initial);
      assertThat(runs.get()).as("the batch ran again after growing").isGreaterThan(1);
      assertThat(item.keys()).hasSize(200);
      assertThat(item.indexes()).containsExactly("tag:0", "tag:1", "tag:2");
      assertThat(item.getString("k199")).isEqualTo(filler + 199);
      StorageItem loaded = smallStore.get("big");
      assertThat(loaded.keys()).isEqualTo(item.keys());
      assertThat(ids(smallStore.search("tag:1", false))).containsExactly("big");
    }
  }
}
