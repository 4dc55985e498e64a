package org.refcache.core.cache;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of one record for listings ({@code refcache ls/info}).
 *
 * @param inUse whether any handle (outside or from a child) is open
 * @param lazy whether its blob is neither local nor unpacked
 * @param equalMutable the mutable twin's ID for a committed-but-not-finalized record, else null
 * @param unpackError why its layer could not be unpacked, while that failure is remembered (an
 *     access answers it at once), else null
 */
public record RecordInfo(String id, RefKind kind, boolean mutable, boolean inUse, int handles, String description,
    String recordType, Instant createdAt, Instant lastUsedAt, int usageCount, List<String> parents,
    boolean blobOnly, boolean lazy, String blob, String diffId, String chainId, boolean retain,
    String equalMutable, String equalImmutable, String unpackError) {}
