package org.refcache.core.meta;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.refcache.core.meta.LmdbEnvironment.WriteTxn;

/**
 * The {@link ItemWriter} of one item in one write transaction. It also records what changed so that a
 * {@link StorageItem} can mirror the commit in memory; a fresh instance is made for every attempt of
 * the transaction, so a retried callback never leaves stale changes behind.
 */
final class TxnItemWriter implements ItemWriter {
  private final MetadataStore store;
  private final WriteTxn txn;
  private final StoreLayout.ItemKeys keys;
  private final String id;
  private final Changes changes = new Changes();
  private boolean marked;

  TxnItemWriter(MetadataStore store, WriteTxn txn, StoreLayout.ItemKeys keys) {
    this.store = store;
    this.txn = txn;
    this.keys = keys;
    this.id = keys.id;
  }

  /** The committed value under {@code key} as this transaction sees it, or null. */
  Value current(String key) {
    byte[] doc = txn.get(store.main, keys.value(key));
    return doc == null ? null : StoreLayout.decodeDocument(id, key, doc);
  }

  @Override
  public void setValue(String key, Value v) {
    StoreLayout.requireKey(id, key);
    if (v == Value.SKIP) {
      throw new IllegalArgumentException("Value.SKIP is only meaningful as the result of getAndSetValue");
    }
    byte[] valueKey = keys.value(key);
    if (v == null) {
      markPresent();
      byte[] old = txn.get(store.main, valueKey);
      if (old != null) {
        txn.delete(store.main, valueKey);
        String oldIndex = StoreLayout.decodeDocument(id, key, old).index();
        if (!oldIndex.isEmpty()) {
          clearIndex(oldIndex);
        }
      }
      changes.values.put(key, null);
      return;
    }
    // Build every key before the first write, so a too-long index fails before anything is written.
    byte[] indexKey = v.indexed() ? keys.index(v.index()) : null;
    byte[] refKey = v.indexed() ? keys.indexRef(v.index()) : null;
    // The value entry itself makes the item exist; the marker is needed only when a delete could
    // leave the item without entries.
    changes.created = true;
    txn.put(store.main, valueKey, StoreLayout.encodeDocument(v));
    if (v.indexed()) {
      // Quirk kept from BuildKit: an older value's different index is not removed here.
      txn.put(store.index, indexKey, StoreLayout.PRESENT);
      txn.put(store.main, refKey, StoreLayout.PRESENT);
      changes.indexes.put(v.index(), Boolean.TRUE);
    }
    changes.values.put(key, v);
  }

  @Override
  public void setExternal(String key, byte[] data) {
    StoreLayout.requireKey(id, key);
    byte[] externalKey = keys.value(key);
    if (data == null) {
      txn.delete(store.external, externalKey);
    } else {
      txn.put(store.external, externalKey, data);
    }
  }

  @Override
  public void clearIndex(String index) {
    StoreLayout.requireIndex(index);
    if (index.isEmpty()) {
      return;
    }
    txn.delete(store.index, keys.index(index));
    txn.delete(store.main, keys.indexRef(index));
    changes.indexes.put(index, Boolean.FALSE);
  }

  /** Writes the presence marker (once per transaction), so the item outlives its last value. */
  private void markPresent() {
    if (!marked) {
      txn.putIfAbsent(store.main, keys.prefix(), StoreLayout.PRESENT);
      marked = true;
      changes.created = true;
    }
  }

  Changes changes() {
    return changes;
  }

  /** What a committed transaction changed in one item; the last change of a key wins. */
  static final class Changes {
    /** key -> new value, null for deleted. */
    final Map<String, Value> values = new LinkedHashMap<>();
    /** index -> added (true) or removed (false). */
    final Map<String, Boolean> indexes = new LinkedHashMap<>();
    boolean created;

    boolean isEmpty() {
      return values.isEmpty() && indexes.isEmpty() && !created;
    }

    /** The in-memory state {@code before} with these changes applied. */
    StorageItem.State applyTo(StorageItem.State before) {
      if (isEmpty()) {
        return before;
      }
      TreeMap<String, Value> vals = new TreeMap<>(before.values());
      for (Map.Entry<String, Value> e : values.entrySet()) {
        if (e.getValue() == null) {
          vals.remove(e.getKey());
        } else {
          vals.put(e.getKey(), e.getValue());
        }
      }
      TreeSet<String> idx = new TreeSet<>(before.indexes());
      for (Map.Entry<String, Boolean> e : indexes.entrySet()) {
        if (e.getValue()) {
          idx.add(e.getKey());
        } else {
          idx.remove(e.getKey());
        }
      }
      return new StorageItem.State(before.exists() || created, vals, idx);
    }
  }
}
