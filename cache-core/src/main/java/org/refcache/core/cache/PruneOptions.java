package org.refcache.core.cache;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One prune (spec 4.3, BuildKit's {@code client.PruneInfo}).
 *
 * @param all also prune records of type {@code internal} and {@code frontend}
 * @param filter which records may go ({@link UsageFilter#ALL}: any)
 * @param keepDuration records used more recently than this stay ({@link Duration#ZERO}: no limit);
 *     records never used may go
 * @param reservedSpace never prune below this many bytes (0: unset)
 * @param maxUsedSpace prune until the cache takes at most this many bytes (0: unset)
 * @param minFreeSpace prune until the state root's filesystem has this many bytes free (0: unset)
 */
public record PruneOptions(boolean all, UsageFilter filter, Duration keepDuration, long reservedSpace,
    long maxUsedSpace, long minFreeSpace) {

  public PruneOptions {
    filter = filter == null ? UsageFilter.ALL : filter;
    keepDuration = keepDuration == null ? Duration.ZERO : keepDuration;
    if (keepDuration.isNegative()) {
      throw new IllegalArgumentException("negative keep duration " + keepDuration);
    }
    if (reservedSpace < 0 || maxUsedSpace < 0 || minFreeSpace < 0) {
      throw new IllegalArgumentException("negative space limit: reserved " + reservedSpace + ", max used "
          + maxUsedSpace + ", min free " + minFreeSpace);
    }
  }

  /** Every unused record but internal and frontend ones, no limit: BuildKit's default prune. */
  public static PruneOptions defaults() {
    return new PruneOptions(false, UsageFilter.ALL, Duration.ZERO, 0, 0, 0);
  }

  public PruneOptions withAll(boolean a) {
    return new PruneOptions(a, filter, keepDuration, reservedSpace, maxUsedSpace, minFreeSpace);
  }

  public PruneOptions withFilter(UsageFilter f) {
    return new PruneOptions(all, f, keepDuration, reservedSpace, maxUsedSpace, minFreeSpace);
  }

  public PruneOptions withKeepDuration(Duration d) {
    return new PruneOptions(all, filter, d, reservedSpace, maxUsedSpace, minFreeSpace);
  }

  public PruneOptions withReservedSpace(long bytes) {
    return new PruneOptions(all, filter, keepDuration, bytes, maxUsedSpace, minFreeSpace);
  }

  public PruneOptions withMaxUsedSpace(long bytes) {
    return new PruneOptions(all, filter, keepDuration, reservedSpace, bytes, minFreeSpace);
  }

  public PruneOptions withMinFreeSpace(long bytes) {
    return new PruneOptions(all, filter, keepDuration, reservedSpace, maxUsedSpace, bytes);
  }

  /**
   * Why these options keep the record {@code u} (spec 4.4), or empty when they let it go: in use, a
   * type that needs {@code all}, used within the keep duration, or not matching the filter. A size
   * target may still keep an eligible record.
   */
  public Optional<String> refusal(UsageInfo u, Instant now) {
    if (u.inUse()) {
      return Optional.of("in use");
    }
    return policyRefusal(u, now);
  }

  /** {@link #refusal} but for use: what the options themselves say. */
  Optional<String> policyRefusal(UsageInfo u, Instant now) {
    if (!all && (u.recordType().equals(RecordTypes.INTERNAL) || u.recordType().equals(RecordTypes.FRONTEND))) {
      return Optional.of("type " + u.recordType() + " needs all");
    }
    if (!keepDuration.isZero() && u.lastUsedAt() != null && u.lastUsedAt().isAfter(now.minus(keepDuration))) {
      return Optional.of("used within " + keepDuration.toString().substring(2).toLowerCase() + " (at "
          + u.lastUsedAt() + ")");
    }
    if (!filter.matches(u)) {
      return Optional.of("does not match " + filter);
    }
    return Optional.empty();
  }

  /** Whether any space limit is set (then prune removes least valuable records first, one by one). */
  public boolean hasSpaceLimits() {
    return reservedSpace != 0 || maxUsedSpace != 0 || minFreeSpace != 0;
  }
}
