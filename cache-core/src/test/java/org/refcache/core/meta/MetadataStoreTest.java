package org.refcache.core.meta;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MetadataStoreTest extends MetadataStoreFixture {
  private void reopen() throws Exception {
    env.close();
    openStore();
  }

  private static List<String> ids(List<StorageItem> items) {
    return items.stream().map(StorageItem::id).toList();
  }

  /** Spec section 7, case 53 (BuildKit's metadata_test.go). */
  @Test
  void case53_missingItemIsEmptyValuesPersistSearchSortedClearRemovesIndexesExternalIndependent() throws Exception {
    // Get of a missing item: an empty item that does not exist.
    StorageItem missing = store.get("nothing-here");
    assertThat(missing).isNotNull();
    assertThat(missing.exists()).isFalse();
    assertThat(missing.id()).isEqualTo("nothing-here");
    assertThat(missing.keys()).isEmpty();
    assertThat(missing.get("foo")).isNull();
    assertThat(missing.indexes()).isEmpty();

    // Values written (in unsorted ID order), some indexed with tag:baz.
    for (String id : List.of("foo", "bar", "qux", "baz")) {
      StorageItem item = store.get(id);
      item.queueString("name", "value-of-" + id, null);
      if (!id.equals("qux")) {
        item.queueValue("tag", Value.of("baz", "tag:baz"));
      }
      item.commit();
      assertThat(item.exists()).isTrue();
    }
    store.get("other").setString("tag", "bax", "tag:bax");

    // Values persist after reopening the environment and the store.
    reopen();
    StorageItem foo = store.get("foo");
    assertThat(foo.exists()).isTrue();
    assertThat(foo.keys()).containsExactly("name", "tag");
    assertThat(foo.getString("name")).isEqualTo("value-of-foo");
    assertThat(foo.get("tag")).isEqualTo(Value.of("baz", "tag:baz"));
    assertThat(foo.indexes()).containsExactly("tag:baz");

    // Search returns exactly the items indexed with tag:baz, sorted by ID.
    List<StorageItem> found = store.search("tag:baz", false);
    assertThat(ids(found)).containsExactly("bar", "baz", "foo");
    assertThat(found.get(0).getString("name")).isEqualTo("value-of-bar");
    assertThat(ids(store.search("tag:bax", false))).containsExactly("other");
    assertThat(store.search("tag:nope", false)).isEmpty();

    // Clear removes the item and its index entries.
    store.clear("bar");
    assertThat(store.get("bar").exists()).isFalse();
    assertThat(ids(store.search("tag:baz", false))).containsExactly("baz", "foo");
    assertThat(indexEntries()).noneMatch(k -> k.endsWith("::bar"));
    assertThat(ids(store.all())).containsExactly("baz", "foo", "other", "qux");

    // External data is independent of values.
    StorageItem baz = store.get("baz");
    baz.setExternal("ext", "external bytes".getBytes(UTF_8));
    assertThat(baz.keys()).containsExactly("name", "tag");
    StorageItem bazAgain = store.get("baz");
    assertThat(bazAgain.keys()).containsExactly("name", "tag");
    assertThat(bazAgain.getString("name")).isEqualTo("value-of-baz");
    assertThat(bazAgain.getExternal("ext")).isEqualTo("external bytes".getBytes(UTF_8));
    bazAgain.setExternal("ext", null);
    assertThat(bazAgain.getExternal("ext")).isNull();
    StorageItem bazThird = store.get("baz");
    assertThat(bazThird.keys()).containsExactly("name", "tag");
    assertThat(bazThird.getString("name")).isEqualTo("value-of-baz");
    assertThat(ids(store.search("tag:baz", false))).containsExactly("baz", "foo");
  }

  private List<String> indexEntries() {
    List<String> out = new ArrayList<>();
    env.read(txn -> {
      txn.scan(store.index, new byte[0], (k, v) -> out.add(new String(k, UTF_8)));
      return null;
    });
    return out;
  }

  @Test
  void exactSearchMatchesTheWholeIndexWhilePrefixSearchMatchesIndexesStartingWithIt() {
    store.get("a").setString("k", "1", "chainid:sha256:aa");
    store.get("b").setString("k", "1", "chainid:sha256:aab");
    store.get("c").setString("k", "1", "chainid:sha256:ab");
    store.get("d").setString("k", "1", "blobchainid:sha256:aa");

    assertThat(ids(store.search("chainid:sha256:aa", false))).containsExactly("a");
    assertThat(ids(store.search("chainid:sha256:aa", true))).containsExactly("a", "b");
    assertThat(ids(store.search("chainid:", true))).containsExactly("a", "b", "c");
    assertThat(ids(store.search("chainid:sha256:a", false))).isEmpty();
  }

  @Test
  void prefixSearchReturnsAnItemIndexedTwiceOnlyOnce() {
    StorageItem two = store.get("two");
    two.setString("x", "1", "tag:x");
    two.setString("y", "1", "tag:y");
    store.get("one").setString("x", "1", "tag:x");

    assertThat(ids(store.search("tag:", true))).containsExactly("one", "two");
  }

  @Test
  void probeTellsWhetherAnyEntryHasTheIndex() {
    assertThat(store.probe("tag:a")).isFalse();
    store.get("item").setString("k", "v", "tag:a");
    assertThat(store.probe("tag:a")).isTrue();
    assertThat(store.probe("tag:")).as("probe is exact").isFalse();
    store.get("item").setValue("k", null);
    assertThat(store.probe("tag:a")).isFalse();
  }

  @Test
  void searchSkipsMalformedIndexEntriesAndEntriesOfMissingItems() {
    store.get("real").setString("k", "v", "tag:t");
    env.write(txn -> {
      txn.put(store.index, "tag:t-without-separator".getBytes(UTF_8), new byte[] {0});
      txn.put(store.index, "tag:t::".getBytes(UTF_8), new byte[] {0});
      txn.put(store.index, "tag:t::ghost".getBytes(UTF_8), new byte[] {0});
      return null;
    });

    assertThat(ids(store.search("tag:t", true))).containsExactly("real");
    assertThat(ids(store.search("tag:t", false))).containsExactly("real");
  }

  @Test
  void clearRemovesIndexEntriesLeftBehindByOverwrites() {
    StorageItem item = store.get("item");
    item.setString("k", "old", "tag:old");
    item.setString("k", "new", "tag:new");
    item.setExternal("blob", new byte[] {1, 2, 3});
    assertThat(ids(store.search("tag:old", false))).containsExactly("item");

    store.clear("item");

    assertThat(store.search("tag:old", false)).isEmpty();
    assertThat(store.search("tag:new", false)).isEmpty();
    assertThat(indexEntries()).isEmpty();
    assertThat(store.get("item").getExternal("blob")).isNull();
    assertThat(store.get("item").exists()).isFalse();
    store.clear("item");
  }

  @Test
  void clearLeavesItemsWhoseIdExtendsTheClearedOne() {
    store.get("ab").setString("k", "v", "tag:t");
    store.get("abc").setString("k", "v", "tag:t");
    store.get("abc").setExternal("e", new byte[] {1});

    store.clear("ab");

    assertThat(ids(store.all())).containsExactly("abc");
    assertThat(ids(store.search("tag:t", false))).containsExactly("abc");
    assertThat(store.get("abc").getExternal("e")).containsExactly(1);
  }

  @Test
  void allReturnsEveryItemSortedByIdWithItsValues() {
    for (String id : List.of("m", "z", "a", "k")) {
      store.get(id).setString("id", id, null);
    }
    List<StorageItem> all = store.all();
    assertThat(ids(all)).containsExactly("a", "k", "m", "z");
    assertThat(all).allSatisfy(i -> assertThat(i.getString("id")).isEqualTo(i.id()));
  }

  @Test
  void updateWritesAllOrNothing() {
    store.update("u", w -> {
      w.setValue("a", Value.of(1));
      w.setValue("b", Value.of(2, "tag:u"));
      w.setExternal("e", new byte[] {9});
    });
    StorageItem u = store.get("u");
    assertThat(u.getLong("a", -1)).isEqualTo(1);
    assertThat(u.getLong("b", -1)).isEqualTo(2);
    assertThat(u.getExternal("e")).containsExactly(9);

    assertThatThrownBy(() -> store.update("u", w -> {
      w.setValue("a", Value.of(100));
      w.setValue("c", Value.of(3, "tag:c"));
      throw new IllegalStateException("fail");
    })).hasMessage("fail");
    StorageItem after = store.get("u");
    assertThat(after.getLong("a", -1)).isEqualTo(1);
    assertThat(after.get("c")).isNull();
    assertThat(store.probe("tag:c")).isFalse();
  }

  @Test
  void invalidIdsAndKeysAreRefusedBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("a::b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("::");
    assertThatThrownBy(() -> store.get(":a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("a\0b")).isInstanceOf(IllegalArgumentException.class);
    StorageItem item = store.get("ok");
    assertThatThrownBy(() -> item.setString("", "v", null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> item.setString("k\0", "v", null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.all()).isEmpty();
  }

  @Test
  void keysTooLongForLmdbAreRefusedWithAClearMessage() {
    StorageItem item = store.get("item");
    String longKey = "k".repeat(600);
    assertThatThrownBy(() -> item.setString(longKey, "v", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("item item").hasMessageContaining("511");
    assertThatThrownBy(() -> item.setString("k", "v", "i".repeat(600)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("511");
    assertThatThrownBy(() -> item.queueString("k", "v", "i".repeat(600)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("511");
    assertThat(item.exists()).isFalse();
    assertThat(store.get("item").exists()).isFalse();
    assertThat(indexEntries()).isEmpty();
  }

  @Test
  void tenThousandItemsAreFoundByTheirIndex() {
    int n = 10_000;
    List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
    java.util.Collections.shuffle(order, new java.util.Random(53));
    for (int i : order) {
      StorageItem item = store.get(String.format("rec%06d", i));
      item.queueValue("cache.createdAt", Value.of(i));
      item.queueString("cache.chainID", "sha256:" + (i % 10), "chainid:sha256:" + (i % 10));
      item.commit();
    }

    List<StorageItem> three = store.search("chainid:sha256:3", false);
    assertThat(three).hasSize(n / 10);
    assertThat(ids(three)).isSorted();
    assertThat(three).allSatisfy(i -> assertThat(i.getLong("cache.createdAt", -1) % 10).isEqualTo(3));
    assertThat(store.search("chainid:sha256:", true)).hasSize(n);
    assertThat(store.all()).hasSize(n);
  }
}
