package org.refcache.core.meta;

/**
 * Writes to one metadata item inside one write transaction: the argument of
 * {@link MetadataStore#update}, {@link StorageItem#update} and of operations queued with
 * {@link StorageItem#queue}. Valid only during the callback that received it; it must not be kept or
 * handed to another thread. The callback may run more than once (the LMDB map may grow and the
 * transaction be retried), so it must do nothing but write through this interface.
 */
public interface ItemWriter {
  /**
   * Stores {@code v} under {@code key}; with a non-empty {@link Value#index()} also writes the index
   * entry {@code <index>::<id>}. A null {@code v} deletes the key and the index entry of the value it
   * replaces. Overwriting a value does not remove the older value's index entry (BuildKit's behaviour;
   * see {@link StorageItem#setValue}).
   */
  void setValue(String key, Value v);

  /** Stores {@code data} under {@code key} in the external database; null deletes it. */
  void setExternal(String key, byte[] data);

  /** Deletes the index entry {@code <index>::<id>} of this item (its values are left as they are). */
  void clearIndex(String index);
}
