package org.refcache.core.cache;

/**
 * The summary of one disk-usage answer, over the rows it gave (spec 4.2; {@code buildctl du}'s
 * summary): the sizes of those rows add up to {@link #total}.
 *
 * @param rows how many rows were given (records and the service's own)
 * @param shared bytes of the rows that share data with other records
 * @param privateBytes bytes of the other rows ({@code total - shared})
 * @param reclaimable bytes that {@code prune --all} with the same filter, then the collector, would
 *     free: data only unused matching records use, plus (without a filter) data nothing uses
 * @param total the sum of the rows' sizes; without a filter, what the state root takes on disk
 */
public record UsageTotals(long rows, long shared, long privateBytes, long reclaimable, long total) {}
