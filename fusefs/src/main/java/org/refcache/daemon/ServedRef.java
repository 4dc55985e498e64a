package org.refcache.daemon;

import java.util.Optional;
import org.refcache.core.cache.MutableRef;

/**
 * What an ID stands for when a client or the FUSE view names it. Decided in one place,
 * {@link HeldHandles#serve}; every command ({@code info}, {@code path}, {@code files}, {@code commit},
 * {@code release}, {@code mount}, {@code --parent}) and {@code <mountpoint>/refs/<id>} act on the answer.
 */
public sealed interface ServedRef {

  /** The ID asked about. */
  String id();

  /**
   * The immutable record that answers for the ID, read-only: the ID's own, or the twin a committed
   * mutable's ID stands for; empty for a writable or an unserved ID.
   */
  default Optional<String> readOnlyRecord() {
    return this instanceof ReadOnly r ? Optional.of(r.recordId()) : Optional.empty();
  }

  /**
   * A mutable the service holds (made by {@code new}): served writable through the service's own handle,
   * the only one there is.
   */
  record Writable(String id, MutableRef handle) implements ServedRef {}

  /**
   * An immutable record answers for the ID: an immutable's own ID ({@code recordId} is {@code id}), or a
   * committed mutable's ID, which stands for its twin ({@code recordId}) until the twin goes, before and
   * after a restart.
   */
  record ReadOnly(String id, String recordId) implements ServedRef {
    /** Whether {@link #id} is a committed mutable's, standing for its twin. */
    public boolean standsForTwin() {
      return !id.equals(recordId);
    }
  }

  /**
   * A record with nothing to serve: a mutable nobody holds and without a twin ({@code get} would commit
   * it on the spot), or the twin of a commit the service has not recorded yet (it may still be undone).
   */
  record Unserved(String id) implements ServedRef {}
}
