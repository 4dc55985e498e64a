package org.refcache.core.cache;

/**
 * What one prune did.
 *
 * @param removed how many records went (a committed pair counts once)
 * @param reclaimedBytes the bytes of data no record uses any more because of it (each blob or layer
 *     once; what the collection after it frees, give or take what changed meanwhile)
 * @param keepBytes the size target it worked to ({@link KeepBytes}; 0: none)
 * @param totalBefore what the cache took when it started (the records and the service's files)
 * @param cancelled whether it stopped early (interrupted); what it removed is removed, and the
 *     collection was left to the next prune or start
 * @param gc what the collection after it freed, measured ({@link GcResult#NONE} when cancelled)
 */
public record PruneResult(int removed, long reclaimedBytes, long keepBytes, long totalBefore,
    boolean cancelled, GcResult gc) {}
