package org.refcache.daemon;

import java.time.Instant;
import java.util.Set;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.Ref;
import org.refcache.core.cache.RefKind;
import org.refcache.core.cache.RefOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a daemon killed in the middle of a request left behind, discarded at the next start so that the
 * request did not happen at all.
 *
 * <p>The service is the only user of its state root, and a record it makes becomes the client's when the
 * held state ({@link ServiceState}) naming it is written: {@code new} and {@code import} make the record,
 * flush it, then write the state. A kill between the two leaves a record that nothing holds, that was
 * made after the state was last written, and that never counted a use (the service's handles count one
 * when released). {@code release} of a default-policy mutable writes the state first, then drops the
 * record: a kill between the two leaves a mutable nothing holds, which spec 2.13 says goes when its last
 * handle goes. So, after the held state is re-acquired, a record that no handle holds (no child either)
 * and that the state does not name is discarded when it is
 * <ul>
 *   <li>a mutable without a twin and with the default policy; or</li>
 *   <li>a mutable without a twin, a layer record or a merge or diff record, made after the state was
 *       last written and never used: a {@code new} (also {@code --retain}), an {@code import}, a
 *       {@code merge} or a {@code diff} cut short.</li>
 * </ul>
 * Either test alone would do with a perfect clock and no power cut. Both are asked because a released
 * record's use count may be lost with the last LMDB writes of a power cut, and because file times are
 * coarser than the clock records are stamped with (so the state carries its own stamp, {@link
 * ServiceState#written}, and its file's time counts only for files written before that was kept): a
 * record kept wrongly costs a prune, one discarded wrongly would be lost. Twins of commits are left alone: a commit cut short before its state was
 * written is undone when the mutable is re-acquired ({@code getMutable} drops an idle twin), and a
 * finalized twin is kept until prune.
 */
final class Leftovers {
  private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);

  private Leftovers() {}

  /**
   * Discards the leftovers among the records.
   *
   * @param referenced the IDs the held state names
   * @param stateWritten when the held state was last written
   */
  static void discard(CacheManager cache, Set<String> referenced, Instant stateWritten) {
    // Again while one goes: a merge cut short held the one-layer diffs it was made of.
    while (discardOnce(cache, referenced, stateWritten)) {
      // next pass
    }
  }

  private static boolean discardOnce(CacheManager cache, Set<String> referenced, Instant stateWritten) {
    boolean discarded = false;
    for (RecordInfo r : cache.records()) {
      if (referenced.contains(r.id()) || r.inUse() || !isLeftover(r, stateWritten)) {
        continue;
      }
      try {
        Ref handle = r.mutable() ? cache.getMutable(r.id(), RefOptions.noUpdateLastUsed())
            : cache.get(r.id(), RefOptions.noUpdateLastUsed());
        if (cache.discard(handle)) {
          discarded = true;
          LOG.info("discarded {} {}: made or released by a request the last daemon did not finish",
              r.mutable() ? "mutable" : r.kind() == RefKind.MERGE || r.kind() == RefKind.DIFF
                  ? r.kind().toString().toLowerCase(java.util.Locale.ROOT) : "layer", r.id());
        }
      } catch (CacheException e) {
        LOG.warn("cannot discard {}, left by a request the last daemon did not finish: {}", r.id(), e.getMessage());
      }
    }
    return discarded;
  }

  private static boolean isLeftover(RecordInfo r, Instant stateWritten) {
    boolean mutable = r.mutable() && r.equalImmutable() == null;
    if (mutable && !r.retain()) {
      return true;
    }
    boolean derived = r.kind() == RefKind.MERGE || r.kind() == RefKind.DIFF;
    boolean madeByImportOrNew = mutable
        || (!r.mutable() && (r.blob() != null || derived) && r.equalMutable() == null);
    return madeByImportOrNew && r.usageCount() == 0 && r.createdAt() != null && r.createdAt().isAfter(stateWritten);
  }
}
