package org.refcache.core.cache;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One row of disk usage (spec 4.1, BuildKit's {@code client.UsageInfo}): a record, or one of the
 * service's own kinds of files ({@link #isServiceRow()}).
 *
 * @param id the record ID; for the service's own files {@code service:<what>}
 * @param mutable whether the record is mutable (a committed pair is reported once: the immutable
 *     twin while it is used, else the mutable)
 * @param inUse whether a handle holds it, directly or through an in-use child (spec 4.2 step 3);
 *     weak handles (readers of the FUSE view) do not count
 * @param size bytes on disk (allocated blocks) it accounts for: its private data, plus an equal
 *     part of each blob or layer it shares with other records, so that the sizes of all rows add up
 *     to what the state root uses
 * @param lastUsedAt when its last using handle was released, or null (never used)
 * @param parents the IDs of its parents (layer parent; merge inputs; diff lower then upper)
 * @param recordType one of {@link RecordTypes} ({@code regular} when unset)
 * @param shared whether some of its data (a blob, an unpacked layer) is also another record's
 */
public record UsageInfo(String id, boolean mutable, boolean inUse, long size, Instant createdAt,
    Instant lastUsedAt, int usageCount, List<String> parents, String description, String recordType,
    boolean shared) {

  /** The prefix of the IDs of the service's own rows. */
  public static final String SERVICE_PREFIX = "service:";

  public UsageInfo {
    Objects.requireNonNull(id, "id");
    parents = List.copyOf(parents);
    description = description == null ? "" : description;
    recordType = recordType == null || recordType.isEmpty() ? RecordTypes.REGULAR : recordType;
  }

  /** Whether this row is the service's own files rather than a record. */
  public boolean isServiceRow() {
    return id.startsWith(SERVICE_PREFIX);
  }
}
