package org.refcache.fuse;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One read-write lock per ref for the kernel transport's node-to-path work: operations that turn
 * a node into a path and act on it take the read side of their ref's lock, renames the write side,
 * so no path is computed from a directory being renamed and used after it moved. Per ref, because
 * a rename waits for every operation in flight under its lock (a copy-up of a large file, a first
 * unpack) and, the lock being non-fair, holds up new ones behind it: that must stay inside the
 * ref. Renames never cross refs (EXDEV) and the mount's own directories never change, so a node's
 * ref never changes either.
 */
final class StructureLocks {

  /** The mount's own directories ({@code /}, {@code /refs}): nothing is renamed there. */
  private final ReadWriteLock outsideRefs = new ReentrantReadWriteLock();
  private final ConcurrentMap<String, ReadWriteLock> perRef = new ConcurrentHashMap<>();

  /** The lock of the ref {@code at} lies in (null: an unknown node). */
  ReadWriteLock of(MountPath at) {
    String ref = at == null ? null : at.refId();
    return ref == null ? outsideRefs : perRef.computeIfAbsent(ref, r -> new ReentrantReadWriteLock());
  }

  /** Forgets the lock of ref {@code id} (the ref went; a later one is made anew). */
  void forget(String id) {
    perRef.remove(id);
  }
}
