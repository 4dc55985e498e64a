package org.refcache.daemon;

import java.util.Set;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.Ref;
import org.refcache.core.cache.RefOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a daemon killed in the middle of a request left behind, discarded at the next start so that the
 * request did not happen at all.
 *
 * <p>The service is the only user of its state root, and every record it makes is held by it from the
 * moment {@link ServiceState} is written: {@code new} and {@code import} make the record, then write the
 * state. A kill between the two leaves a record that nothing holds and that never counted a use (the
 * service's handles count one when released). {@code release} of a default-policy mutable writes the
 * state first, then drops the record: a kill between the two leaves a mutable nothing holds, which
 * spec 2.13 says goes when its last handle goes. So, after the held state is re-acquired, a record that
 * no handle holds (no child either) and that the state does not name is discarded when it is
 * <ul>
 *   <li>a mutable without a twin and with the default policy, or one that never counted a use
 *       (a {@code new --retain} cut short; a retained mutable that was released counted one);</li>
 *   <li>a layer record that never counted a use (an {@code import} cut short).</li>
 * </ul>
 * Twins of commits are left alone: a commit cut short before its state was written is undone when the
 * mutable is re-acquired ({@code getMutable} drops an idle twin), and a finalized twin is kept until prune.
 */
final class Leftovers {
  private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);

  private Leftovers() {}

  /** Discards the leftovers among the records; {@code referenced} are the IDs the held state names. */
  static void discard(CacheManager cache, Set<String> referenced) {
    for (RecordInfo r : cache.records()) {
      if (referenced.contains(r.id()) || r.inUse() || !isLeftover(r)) {
        continue;
      }
      try {
        Ref handle = r.mutable() ? cache.getMutable(r.id(), RefOptions.noUpdateLastUsed())
            : cache.get(r.id(), RefOptions.noUpdateLastUsed());
        if (cache.discard(handle)) {
          LOG.info("discarded {} {}: made by a request the last daemon did not finish", r.mutable() ? "mutable"
              : "layer", r.id());
        }
      } catch (CacheException e) {
        LOG.warn("cannot discard {}, left by a request the last daemon did not finish: {}", r.id(), e.getMessage());
      }
    }
  }

  private static boolean isLeftover(RecordInfo r) {
    if (r.mutable()) {
      return r.equalImmutable() == null && (!r.retain() || r.usageCount() == 0);
    }
    return r.blob() != null && r.equalMutable() == null && r.usageCount() == 0;
  }
}
