package org.refcache.core.meta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.lmdbjava.LmdbException;
import org.refcache.core.meta.LmdbEnvironment.WriteTxn;

/**
 * The metadata of one record: its values, loaded into memory by {@link MetadataStore#get} (one prefix
 * scan), and write access to them (BuildKit's {@code metadata.StorageItem}).
 *
 * <p><b>Memory and disk.</b> Reads ({@link #get}, {@link #keys}, {@link #indexes}, the typed readers)
 * answer from memory and never touch LMDB. Writes through this object commit one LMDB transaction and
 * then update memory, in commit order; a failed write changes neither. Writes made by another path
 * ({@link MetadataStore#update}, {@link MetadataStore#clear}, another {@code StorageItem} of the same ID)
 * are not seen until the item is loaded again. External values are never held in memory.
 *
 * <p><b>Immediate and queued writes.</b> {@code set*}, {@link #clearValueAndIndex},
 * {@link #getAndSetValue}, {@link #update} and {@link #setExternal} each commit their own transaction.
 * {@code queue*} only remembers the write; {@link #commit} runs everything queued in one transaction,
 * so a record's metadata changes become visible together or not at all.
 *
 * <p><b>Indexes.</b> A value with a non-empty {@link Value#index()} registers the item under that index
 * ({@code <index>::<id>}), which {@link MetadataStore#search} finds. Overwriting a value with one under a
 * different index keeps the older index entry too: BuildKit's behaviour (spec 2.19, PR #1836), which
 * callers rely on and work around with {@link #clearValueAndIndex}. Deleting a value (null) removes the
 * index entry of the value it deletes. {@link #indexes()} lists every index the item is registered
 * under, including ones kept by that quirk.
 *
 * <p><b>Existence.</b> An item exists once a value of it has been set (or deleted) through any write
 * path, until {@link MetadataStore#clear}; deleting its last value does not remove it (as a BuildKit
 * bucket stays). External values alone do not make an item exist.
 *
 * <p>Thread-safe: memory is an immutable snapshot replaced atomically; {@link #commit} and
 * {@link #queue} share one lock per item. Callbacks passed here run inside an LMDB transaction: they
 * must not call back into the store (transactions do not nest) and may run more than once.
 */
public final class StorageItem {
  private final MetadataStore store;
  private final StoreLayout.ItemKeys itemKeys;
  private final String id;
  private volatile State state;
  private final ReentrantLock queueLock = new ReentrantLock();
  private final List<Consumer<ItemWriter>> queue = new ArrayList<>();

  /** The in-memory view: immutable, replaced as a whole after each commit. */
  record State(boolean exists, Map<String, Value> values, Set<String> indexes) {
    /** Takes ownership of the (sorted) collections and exposes them read-only. */
    State(boolean exists, TreeMap<String, Value> values, TreeSet<String> indexes) {
      this(exists, Collections.unmodifiableSortedMap(values), Collections.unmodifiableSortedSet(indexes));
    }
  }

  StorageItem(MetadataStore store, StoreLayout.ItemKeys itemKeys, State state) {
    this.store = store;
    this.itemKeys = itemKeys;
    this.id = itemKeys.id;
    this.state = state;
  }

  /** The record ID. */
  public String id() {
    return id;
  }

  /** Whether the item existed when loaded or has been written through this object since. */
  public boolean exists() {
    return state.exists();
  }

  /** The keys that have a value, sorted. */
  public Set<String> keys() {
    return state.values().keySet();
  }

  /** The value under {@code key}, or null when absent. */
  public Value get(String key) {
    return state.values().get(key);
  }

  /** The string under {@code key}; null when absent or JSON null. */
  public String getString(String key) {
    Value v = get(key);
    return v == null ? null : typed(key, v, Value::asString);
  }

  /** The integer under {@code key}; {@code dflt} when absent or JSON null. */
  public long getLong(String key, long dflt) {
    Value v = get(key);
    return v == null || v.isNull() ? dflt : typed(key, v, Value::asLong);
  }

  /** The boolean under {@code key}; false when absent or JSON null. */
  public boolean getBool(String key) {
    Value v = get(key);
    return v != null && typed(key, v, Value::asBool);
  }

  /** The string list under {@code key}; empty when absent or JSON null. */
  public List<String> getStringList(String key) {
    Value v = get(key);
    return v == null ? List.of() : typed(key, v, Value::asStringList);
  }

  private <T> T typed(String key, Value v, Function<Value, T> read) {
    try {
      return read.apply(v);
    } catch (MetadataException e) {
      throw new MetadataException("item " + id + " key " + key + ": " + e.getMessage(), e);
    }
  }

  /** The indexes this item is registered under, sorted. */
  public Set<String> indexes() {
    return state.indexes();
  }

  // ---- immediate writes ----

  /**
   * Stores {@code v} under {@code key} in one transaction; null deletes the key and its value's index
   * entry. A non-null indexed value writes {@code <index>::<id>}; an older value's different index is
   * not removed (see class doc).
   */
  public void setValue(String key, Value v) {
    StoreLayout.requireKey(id, key);
    updateItem("setValue key " + key, w -> w.setValue(key, v));
  }

  /** Stores a string (null deletes), registered under {@code index} unless it is null or empty. */
  public void setString(String key, String value, String index) {
    setValue(key, value == null ? null : Value.of(value, index));
  }

  /**
   * Deletes the value under {@code key} and the index entry {@code <indexPrefix><currentValue>::<id>},
   * where {@code currentValue} is the stored string ("" when absent or not a string), in one transaction.
   */
  public void clearValueAndIndex(String key, String indexPrefix) {
    StoreLayout.requireKey(id, key);
    StoreLayout.requireIndex(indexPrefix);
    updateItem("clearValueAndIndex key " + key, writer -> {
      Value current = writer.current(key);
      String currentString = "";
      if (current != null) {
        try {
          String s = current.asString();
          currentString = s == null ? "" : s;
        } catch (MetadataException notAString) {
          // BuildKit's GetString reads a non-string as ""; keep that.
        }
      }
      writer.setValue(key, null);
      writer.clearIndex(indexPrefix + currentString);
    });
  }

  /**
   * Atomic read-modify-write of one key in one write transaction: {@code fn} receives the value stored
   * now (null when absent; read inside the transaction, so concurrent callers, even through other
   * {@code StorageItem}s, serialise) and returns the new value, null to delete, or {@link Value#SKIP}
   * to write nothing. {@code fn} may run more than once and must be free of side effects.
   *
   * @return the value stored afterwards (the current one after {@code SKIP}; null when deleted)
   */
  public Value getAndSetValue(String key, UnaryOperator<Value> fn) {
    StoreLayout.requireKey(id, key);
    Objects.requireNonNull(fn, "fn");
    record Outcome(Value stored, TxnItemWriter.Changes changes) {}
    Outcome outcome = write("getAndSetValue key " + key, txn -> {
      TxnItemWriter w = new TxnItemWriter(store, txn, itemKeys);
      Value current = w.current(key);
      Value next = fn.apply(current);
      if (next == Value.SKIP) {
        return new Outcome(current, w.changes());
      }
      w.setValue(key, next);
      return new Outcome(next, w.changes());
    }, o -> apply(o.changes()));
    return outcome.stored();
  }

  /** Runs {@code fn} in one write transaction on this item and mirrors its value changes in memory. */
  public void update(Consumer<ItemWriter> fn) {
    Objects.requireNonNull(fn, "fn");
    updateItem("update", fn::accept);
  }

  private void updateItem(String what, Consumer<TxnItemWriter> fn) {
    write(what, txn -> {
      TxnItemWriter w = new TxnItemWriter(store, txn, itemKeys);
      fn.accept(w);
      return w.changes();
    }, this::apply);
  }

  /** The external value under {@code key}, or null when absent. Read from LMDB on every call. */
  public byte[] getExternal(String key) {
    byte[] k = itemKeys.value(key);
    try {
      return store.env.read(txn -> txn.get(store.external, k));
    } catch (LmdbException e) {
      throw new MetadataException("cannot read external " + key + " of item " + id + ": " + e.getMessage(), e);
    }
  }

  /** Stores {@code data} as the external value {@code key} (null deletes), in one transaction. */
  public void setExternal(String key, byte[] data) {
    StoreLayout.requireKey(id, key);
    write("setExternal key " + key, txn -> {
      new TxnItemWriter(store, txn, itemKeys).setExternal(key, data);
      return null;
    }, null);
  }

  // ---- queued writes ----

  /** Remembers {@code op} for the next {@link #commit}. */
  public void queue(Consumer<ItemWriter> op) {
    Objects.requireNonNull(op, "op");
    queueLock.lock();
    try {
      queue.add(op);
    } finally {
      queueLock.unlock();
    }
  }

  /** Queues {@link ItemWriter#setValue}; the key is checked now. */
  public void queueValue(String key, Value v) {
    // Build the keys now so that a bad key fails here, at the caller, rather than at commit.
    itemKeys.value(key);
    if (v == Value.SKIP) {
      throw new IllegalArgumentException("Value.SKIP is only meaningful as the result of getAndSetValue");
    }
    if (v != null && v.indexed()) {
      itemKeys.index(v.index());
      itemKeys.indexRef(v.index());
    }
    queue(w -> w.setValue(key, v));
  }

  /** Queues a string value (null deletes), indexed unless {@code index} is null or empty. */
  public void queueString(String key, String value, String index) {
    queueValue(key, value == null ? null : Value.of(value, index));
  }

  /** Whether writes are waiting for {@link #commit}. */
  public boolean hasQueued() {
    queueLock.lock();
    try {
      return !queue.isEmpty();
    } finally {
      queueLock.unlock();
    }
  }

  /**
   * Runs every queued write in one write transaction, in queue order. The queue is emptied whether or
   * not the transaction commits; when an operation fails, nothing of the batch is written or applied in
   * memory and the failure is rethrown. Concurrent commits of one item run one after the other.
   */
  public void commit() {
    queueLock.lock();
    try {
      if (queue.isEmpty()) {
        return;
      }
      List<Consumer<ItemWriter>> ops = List.copyOf(queue);
      queue.clear();
      write("commit", txn -> {
        TxnItemWriter w = new TxnItemWriter(store, txn, itemKeys);
        for (Consumer<ItemWriter> op : ops) {
          op.accept(w);
        }
        return w.changes();
      }, this::apply);
    } finally {
      queueLock.unlock();
    }
  }

  private <T> T write(String what, Function<WriteTxn, T> fn, Consumer<? super T> afterCommit) {
    try {
      return store.env.write(fn, afterCommit);
    } catch (LmdbException e) {
      throw new MetadataException("cannot " + what + " of item " + id + ": " + e.getMessage(), e);
    }
  }

  /** Called after commit, in commit order (the environment's writer lock is held). */
  private void apply(TxnItemWriter.Changes changes) {
    if (!changes.isEmpty()) {
      synchronized (this) {
        state = changes.applyTo(state);
      }
    }
  }

  @Override
  public String toString() {
    State s = state;
    return "StorageItem[" + id + (s.exists() ? "" : ", absent") + ", keys=" + s.values().keySet() + "]";
  }

  /** Builds the in-memory state of {@code id} from its main-database entries. */
  static State load(String id, List<StoreLayout.MainEntry> entries) {
    boolean exists = false;
    TreeMap<String, Value> values = new TreeMap<>();
    TreeSet<String> indexes = new TreeSet<>();
    for (StoreLayout.MainEntry e : entries) {
      exists = true;
      if (e instanceof StoreLayout.ValueEntry v) {
        values.put(v.key(), StoreLayout.decodeDocument(id, v.key(), v.document()));
      } else if (e instanceof StoreLayout.IndexRef r) {
        indexes.add(r.index());
      }
    }
    return new State(exists, values, indexes);
  }
}
