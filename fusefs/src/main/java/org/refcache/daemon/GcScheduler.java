package org.refcache.daemon;

import org.refcache.protocol.Quantities;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.refcache.core.cache.PruneOptions;
import org.refcache.core.cache.PruneResult;
import org.refcache.posix.Posix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link GcPolicy}: its rules in order, as prunes, a second after the start, then every
 * interval, and once the imports since the last run reach the policy's amount, at most once per
 * minimum interval (a minute by default: buildkitd's throttle). Every run logs each record it removed and the rule that removed it, and per
 * rule the size target it computed and what it freed. One thread, {@code refcache-gc-policy}.
 */
public final class GcScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GcScheduler.class);

  private final GcPolicy policy;
  private final CacheMaintenance maintenance;
  private final Path root;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "refcache-gc-policy");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong imported = new AtomicLong();
  private final AtomicBoolean queued = new AtomicBoolean();
  private volatile long lastRun = System.nanoTime();

  public GcScheduler(GcPolicy policy, CacheMaintenance maintenance, Path root) {
    this.policy = policy;
    this.maintenance = maintenance;
    this.root = root;
  }

  /** Starts the schedule (nothing when the policy is off). */
  public void start() {
    if (!policy.enabled()) {
      LOG.info("automatic garbage collection is off ({}): only refcache prune removes refs", policy.source());
      return;
    }
    LOG.info("garbage collection policy from {}: every {}, and after {} imported; rules: {}", policy.source(),
        Quantities.humanDuration(policy.interval()), Quantities.humanBytes(policy.afterImports()), policy.rules());
    thread.scheduleWithFixedDelay(this::run, 1000, policy.interval().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** An import stored {@code bytes}: runs the policy when enough came in since the last run. */
  public void imported(long bytes) {
    if (!policy.enabled() || policy.afterImports() <= 0) {
      return;
    }
    if (imported.addAndGet(bytes) >= policy.afterImports() && queued.compareAndSet(false, true)) {
      long wait = Math.max(0, lastRun + policy.minInterval().toNanos() - System.nanoTime());
      thread.schedule(this::run, wait, TimeUnit.NANOSECONDS);
    }
  }

  /** One run of every rule, in order (on the policy's thread). */
  void run() {
    queued.set(false);
    imported.set(0);
    lastRun = System.nanoTime();
    try {
      long filesystem = Posix.statvfs(root).totalBytes();
      List<GcPolicy.Rule> rules = policy.rules();
      for (int i = 0; i < rules.size(); i++) {
        int n = i + 1;
        GcPolicy.Rule rule = rules.get(i);
        PruneOptions o = rule.options(filesystem);
        PruneResult r = maintenance.prune(o, u -> LOG.info("gc rule {} ({}): removed {} ({}, type {}, {} uses, last"
            + " used {})", n, rule, u.id(), Quantities.humanBytes(u.size()), u.recordType(), u.usageCount(),
            u.lastUsedAt() == null ? "never" : u.lastUsedAt()));
        LOG.info("gc rule {} ({}): {} removed, {} freed; the cache took {}{}", n, rule, r.removed(),
            Quantities.humanBytes(r.gc().freedBytes()), Quantities.humanBytes(r.totalBefore()),
            r.keepBytes() == 0 ? "" : ", target " + Quantities.humanBytes(r.keepBytes()));
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("garbage collection run failed: {}", e.toString());
      LOG.debug("garbage collection failure", e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("a garbage collection run is still going at shutdown");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
