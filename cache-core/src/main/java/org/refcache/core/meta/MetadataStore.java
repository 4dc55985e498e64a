package org.refcache.core.meta;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.lmdbjava.LmdbException;
import org.refcache.core.meta.LmdbEnvironment.Db;
import org.refcache.core.meta.LmdbEnvironment.ReadTxn;
import org.refcache.core.meta.LmdbEnvironment.WriteTxn;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BuildKit's {@code metadata.Store} on LMDB: per-record metadata items with JSON values, a secondary
 * index ({@code <index>::<id>}) and external (large, not preloaded) values. See
 * {@link StoreLayout the layout} and the package doc for the contract.
 *
 * <p>Stateless apart from the environment: every call is one LMDB transaction; items returned are
 * snapshots loaded by that call. The environment is owned by the caller, who opens it with at least
 * {@link #DATABASES} and closes it after the store's last use.
 */
public final class MetadataStore {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataStore.class);

  /** The LMDB databases this store uses; the environment must be opened with (at least) these. */
  public static final List<String> DATABASES = List.of(StoreLayout.MAIN, StoreLayout.INDEX, StoreLayout.EXTERNAL);

  final LmdbEnvironment env;
  final Db main;
  final Db index;
  final Db external;

  /** A store over {@code env}, which must have been opened with {@link #DATABASES}. */
  public MetadataStore(LmdbEnvironment env) {
    this.env = Objects.requireNonNull(env, "env");
    this.main = env.db(StoreLayout.MAIN);
    this.index = env.db(StoreLayout.INDEX);
    this.external = env.db(StoreLayout.EXTERNAL);
  }

  /** Every item, sorted by ID (the byte order of the IDs' UTF-8 encoding), in one read transaction. */
  public List<StorageItem> all() {
    return read("list all items", txn -> {
      List<StorageItem> out = new ArrayList<>();
      List<StoreLayout.MainEntry> entries = new ArrayList<>();
      String[] current = {null};
      txn.scan(main, new byte[0], (k, v) -> {
        String id = StoreLayout.idOfMainKey(k);
        if (id == null) {
          LOG.warn("skipping a metadata entry without an item ID ({} bytes)", k.length);
          return true;
        }
        if (!id.equals(current[0])) {
          if (current[0] != null) {
            addItem(out, current[0], entries);
          }
          current[0] = id;
          entries.clear();
        }
        entries.add(StoreLayout.mainEntry(k, v));
        return true;
      });
      if (current[0] != null) {
        addItem(out, current[0], entries);
      }
      return out;
    });
  }

  /** Whether any index entry starts with {@code <index>::} (it is not checked that the item exists). */
  public boolean probe(String index) {
    byte[] prefix = StoreLayout.indexSearchPrefix(StoreLayout.requireIndex(index), false);
    return read("probe index " + index, txn -> {
      boolean[] found = {false};
      txn.scan(this.index, prefix, (k, v) -> {
        found[0] = true;
        return false;
      });
      return found[0];
    });
  }

  /**
   * The items registered under an index, sorted by ID, each once, loaded in one read transaction.
   * Exact mode ({@code prefixOnly == false}) matches entries starting with {@code <index>::}; prefix mode
   * matches entries starting with {@code <index>}. As in BuildKit the item ID is what follows the last
   * {@code ::} of an entry, so exact mode also returns items of longer indexes that continue with
   * {@code ::}. Malformed entries (no {@code ::}) and entries of items that no longer exist are skipped
   * and logged.
   */
  public List<StorageItem> search(String index, boolean prefixOnly) {
    byte[] prefix = StoreLayout.indexSearchPrefix(StoreLayout.requireIndex(index), prefixOnly);
    return read("search index " + index, txn -> {
      TreeSet<String> ids = new TreeSet<>(StoreLayout.ID_ORDER);
      txn.scan(this.index, prefix, (k, v) -> {
        String id = StoreLayout.idOfIndexKey(k);
        if (id == null) {
          LOG.warn("skipping malformed metadata index entry {}", StoreLayout.printableKey(k));
        } else {
          ids.add(id);
        }
        return true;
      });
      List<StorageItem> out = new ArrayList<>(ids.size());
      for (String id : ids) {
        StoreLayout.ItemKeys keys;
        try {
          keys = new StoreLayout.ItemKeys(id);
        } catch (IllegalArgumentException e) {
          LOG.warn("skipping metadata index entry of {} with an invalid item ID: {}", index,
              Printable.line(e.getMessage()));
          continue;
        }
        StorageItem item = load(txn, keys);
        if (item.exists()) {
          out.add(item);
        } else {
          LOG.warn("metadata index {} points to missing item {}", index, id);
        }
      }
      return out;
    });
  }

  /** The item {@code id}, loaded by one prefix scan; never null: absent items are empty and do not exist. */
  public StorageItem get(String id) {
    StoreLayout.ItemKeys keys = new StoreLayout.ItemKeys(id);
    return read("get item " + id, txn -> load(txn, keys));
  }

  /**
   * Removes the item {@code id}: its values, every index entry registered for it and all its external
   * values, in one write transaction. Items already loaded are not changed. Removing an absent item
   * does nothing.
   */
  public void clear(String id) {
    StoreLayout.ItemKeys keys = new StoreLayout.ItemKeys(id);
    write("clear item " + id, txn -> {
      clear(txn, keys);
      return null;
    });
  }

  /** {@link #clear} of every item of {@code ids}, in one write transaction. */
  public void clearAll(Collection<String> ids) {
    List<StoreLayout.ItemKeys> all = ids.stream().map(StoreLayout.ItemKeys::new).toList();
    if (all.isEmpty()) {
      return;
    }
    write("clear " + all.size() + " items", txn -> {
      for (StoreLayout.ItemKeys keys : all) {
        clear(txn, keys);
      }
      return null;
    });
  }

  private void clear(WriteTxn txn, StoreLayout.ItemKeys keys) {
    byte[] prefix = keys.prefix();
    List<String> indexes = new ArrayList<>();
    txn.scan(main, prefix, (k, v) -> {
      if (StoreLayout.mainEntry(k, v) instanceof StoreLayout.IndexRef r) {
        indexes.add(r.index());
      }
      return true;
    });
    for (String ix : indexes) {
      txn.delete(index, keys.index(ix));
    }
    txn.deletePrefix(main, prefix);
    txn.deletePrefix(external, prefix);
  }

  /**
   * {@link #update} of every item of {@code ids} in one write transaction: one logical change to
   * many items (prune's tombstones) is one commit. {@code fn} gets the item's ID and its writer.
   */
  public void updateAll(Collection<String> ids, BiConsumer<String, ItemWriter> fn) {
    Objects.requireNonNull(fn, "fn");
    List<StoreLayout.ItemKeys> all = ids.stream().map(StoreLayout.ItemKeys::new).toList();
    if (all.isEmpty()) {
      return;
    }
    write("update " + all.size() + " items", txn -> {
      for (StoreLayout.ItemKeys keys : all) {
        fn.accept(keys.id, new TxnItemWriter(this, txn, keys));
      }
      return null;
    });
  }

  /**
   * Runs {@code fn} on item {@code id} in one write transaction (creating the item when it sets a
   * value). Items already loaded do not see the change; use {@link StorageItem#update} to keep one
   * current. {@code fn} may run more than once and must only write through the {@link ItemWriter}.
   */
  public void update(String id, Consumer<ItemWriter> fn) {
    StoreLayout.ItemKeys keys = new StoreLayout.ItemKeys(id);
    Objects.requireNonNull(fn, "fn");
    write("update item " + id, txn -> {
      fn.accept(new TxnItemWriter(this, txn, keys));
      return null;
    });
  }

  /** The environment this store lives in. */
  public LmdbEnvironment environment() {
    return env;
  }

  private StorageItem load(ReadTxn txn, StoreLayout.ItemKeys keys) {
    List<StoreLayout.MainEntry> entries = new ArrayList<>();
    txn.scan(main, keys.prefix(), (k, v) -> entries.add(StoreLayout.mainEntry(k, v)));
    return new StorageItem(this, keys, StorageItem.load(keys.id, entries));
  }

  private void addItem(List<StorageItem> out, String id, List<StoreLayout.MainEntry> entries) {
    StoreLayout.ItemKeys keys;
    try {
      keys = new StoreLayout.ItemKeys(id);
    } catch (IllegalArgumentException e) {
      LOG.warn("skipping stored metadata item with an invalid ID: {}", Printable.line(e.getMessage()));
      return;
    }
    out.add(new StorageItem(this, keys, StorageItem.load(id, entries)));
  }

  private <T> T read(String what, Function<ReadTxn, T> fn) {
    try {
      return env.read(fn);
    } catch (LmdbException e) {
      throw new MetadataException("cannot " + what + ": " + e.getMessage(), e);
    }
  }

  private <T> T write(String what, Function<WriteTxn, T> fn) {
    try {
      return env.write(fn);
    } catch (LmdbException e) {
      throw new MetadataException("cannot " + what + ": " + e.getMessage(), e);
    }
  }
}
