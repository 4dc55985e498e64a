package org.refcache.core.cache;

/**
 * Protects what an operation in progress stores before a record uses it (a blob an import has
 * written but not yet turned into a record): while it is open, the garbage collector keeps every
 * blob, layer or upper stored (or stored again) since it was taken. Close it once the record exists
 * (or the operation failed). Get one from {@link CacheManager#lease()}; closing is idempotent.
 */
public interface WorkLease extends AutoCloseable {
  @Override
  void close();
}
