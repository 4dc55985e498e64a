package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.KeepBytes;
import org.refcache.core.cache.PruneOptions;
import org.refcache.core.cache.PruneResult;
import org.refcache.core.cache.UsageFilter;
import org.refcache.core.cache.UsageInfo;
import org.refcache.core.cache.UsageTotals;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;
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
  private final GcPolicy policy;
  private final Path root;

  /**
   * @param invalidator tells the FUSE view that a ref is gone
   * @param policy the automatic collection's, which {@code du --verbose} explains
   * @param root the state root (its filesystem's size and free space resolve the policy's limits)
   */
  public CacheMaintenance(CacheManager cache, Consumer<String> invalidator, GcPolicy policy, Path root) {
    this.cache = cache;
    this.invalidator = invalidator;
    this.policy = policy;
    this.root = root;
  }

  /** One rule of the GC policy as it stands now: its size target given what the cache takes. */
  public record RuleTarget(int rule, String description, long keepBytes) {}

  /**
   * For {@code du --verbose}: whether each rule of the GC policy would let {@code u} go, and if not
   * why (in use, type, keep duration, filter); empty without a policy.
   */
  public List<String> gcVerdicts(UsageInfo u) throws IOException {
    if (!policy.enabled() || u.isServiceRow()) {
      return List.of();
    }
    long fs = Posix.statvfs(root).totalBytes();
    Instant now = Instant.now();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < policy.rules().size(); i++) {
      Optional<String> why = policy.rules().get(i).options(fs).refusal(u, now);
      out.add("rule " + (i + 1) + ": " + why.map(w -> "kept, " + w).orElse("may go"));
    }
    return out;
  }

  /** For {@code du --verbose}: each rule's size target when the cache takes {@code total} bytes. */
  public List<RuleTarget> gcTargets(long total) throws IOException {
    if (!policy.enabled()) {
      return List.of();
    }
    StatVfs fs = Posix.statvfs(root);
    List<RuleTarget> out = new ArrayList<>();
    for (int i = 0; i < policy.rules().size(); i++) {
      GcPolicy.Rule r = policy.rules().get(i);
      out.add(new RuleTarget(i + 1, r.toString(),
          KeepBytes.calculate(total, fs.availableBytes(), r.options(fs.totalBytes()))));
    }
    return out;
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
