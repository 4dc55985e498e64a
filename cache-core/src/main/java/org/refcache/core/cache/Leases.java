package org.refcache.core.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The open {@link WorkLease}s. Taking and dropping one, and the collector's look at them, happen
 * under the manager lock, so a lease taken while the collector removes a batch of objects starts
 * after that batch: whatever its work stores is newer than anything the batch removed.
 */
final class Leases {
  /**
   * A lease counts from a little before it was taken: file times come from the kernel's coarse
   * clock, which may lag the wall clock by a few milliseconds.
   */
  private static final Duration CLOCK_SLACK = Duration.ofSeconds(1);

  private final RecordStore records;
  private final Set<Lease> open = Collections.newSetFromMap(new IdentityHashMap<>());

  Leases(RecordStore records) {
    this.records = records;
  }

  private final class Lease implements WorkLease {
    final Instant since;
    private boolean closed;

    Lease(Instant since) {
      this.since = since;
    }

    @Override
    public void close() {
      records.mu.lock();
      try {
        if (!closed) {
          closed = true;
          open.remove(this);
        }
      } finally {
        records.mu.unlock();
      }
    }
  }

  WorkLease take() {
    records.mu.lock();
    try {
      records.ensureOpen();
      Lease l = new Lease(Instant.now().minus(CLOCK_SLACK));
      open.add(l);
      return l;
    } finally {
      records.mu.unlock();
    }
  }

  /** When the oldest open lease began, or {@link Instant#MAX} when none is open; caller holds mu. */
  Instant oldestLocked() {
    Instant oldest = Instant.MAX;
    for (Lease l : open) {
      if (l.since.isBefore(oldest)) {
        oldest = l.since;
      }
    }
    return oldest;
  }
}
