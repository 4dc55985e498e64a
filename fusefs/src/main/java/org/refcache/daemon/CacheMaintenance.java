package org.refcache.daemon;

import java.util.List;
import java.util.function.Consumer;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.PruneOptions;
import org.refcache.core.cache.PruneResult;
import org.refcache.core.cache.UsageFilter;
import org.refcache.core.cache.UsageInfo;
import org.refcache.core.cache.UsageTotals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code refcache du} and {@code refcache prune} in the service: the cache's disk usage and prune,
 * and the FUSE view told which refs prune removed (it drops their cached trees; files open in them
 * stay readable, since the view's handles are weak). The refs the service holds, for itself or for a
 * bind mount, are in use and never pruned. Takes no lock of the service: prune and the view's
 * invalidations run while other requests go on.
 */
public final class CacheMaintenance {
  private static final Logger LOG = LoggerFactory.getLogger(CacheMaintenance.class);

  private final CacheManager cache;
  private final Consumer<String> invalidator;

  /** @param invalidator tells the FUSE view that a ref is gone */
  public CacheMaintenance(CacheManager cache, Consumer<String> invalidator) {
    this.cache = cache;
    this.invalidator = invalidator;
  }

  /** Disk usage: the rows {@code filters} (OR-ed) let through, given as they are made. */
  public UsageTotals diskUsage(List<String> filters, Consumer<UsageInfo> rows) {
    return cache.diskUsage(UsageFilter.parse(filters), rows);
  }

  /** Prune, then collection; each removed record is given to {@code removed} as it goes. */
  public PruneResult prune(PruneOptions options, Consumer<UsageInfo> removed) {
    PruneResult r = cache.prune(options, removed, this::invalidate);
    LOG.info("prune: {} records removed, {} bytes freed ({} blobs, {} layers, {} uppers)", r.removed(),
        r.gc().freedBytes(), r.gc().blobs(), r.gc().layers(), r.gc().uppers());
    return r;
  }

  private void invalidate(String id) {
    try {
      invalidator.accept(id);
    } catch (RuntimeException e) {
      LOG.warn("cannot invalidate pruned ref {} in the FUSE view: {}", id, e.toString());
    }
  }
}
