/**
 * Record metadata on LMDB: BuildKit's {@code metadata.Store} (spec 2.19-2.21, 3.1-3.2).
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>{@link org.refcache.core.meta.LmdbEnvironment}: the one LMDB environment of a state root
 *       ({@code meta/}); callbacks instead of transaction objects, a map that grows by itself, batched
 *       fsyncs.</li>
 *   <li>{@link org.refcache.core.meta.MetadataStore}: items by ID, search by index, clear.</li>
 *   <li>{@link org.refcache.core.meta.StorageItem}: one item's values in memory plus immediate and
 *       queued writes; {@link org.refcache.core.meta.ItemWriter} is the write side inside a
 *       transaction; {@link org.refcache.core.meta.Value} is raw JSON plus an index.</li>
 * </ul>
 *
 * <h2>Layout</h2>
 * Three databases ({@link org.refcache.core.meta.MetadataStore#DATABASES}):
 * <pre>
 * main      &lt;id&gt;\0              presence marker
 *           &lt;id&gt;\0&lt;key&gt;         {"value": &lt;raw json&gt;, "index": "&lt;index&gt;"}
 *           &lt;id&gt;\0\0&lt;index&gt;      back-reference: the item is registered under &lt;index&gt;
 * index     &lt;index&gt;::&lt;id&gt;        (one zero byte)
 * external  &lt;id&gt;\0&lt;key&gt;         raw bytes, never loaded with the item
 * </pre>
 * IDs are non-empty, contain no NUL and no {@code ::} and do not start with {@code :}; keys are
 * non-empty without NUL; every LMDB key is at most 511 bytes. Violations are refused with
 * {@link java.lang.IllegalArgumentException} before anything is written.
 *
 * <h2>Transactions and threads</h2>
 * <ul>
 *   <li>LMDB is reached only through {@code LmdbEnvironment.read(fn)} / {@code write(fn)}. A transaction
 *       never leaves the callback nor the thread that runs it; the {@code ReadTxn}/{@code WriteTxn} and
 *       {@code ItemWriter} handed to a callback are invalid after it returns.</li>
 *   <li>Callbacks do not nest: calling the environment, the store or an item from inside a callback of
 *       the same environment fails with {@link java.lang.IllegalStateException} (LMDB allows one
 *       transaction per thread; a nested write would deadlock).</li>
 *   <li>One logical change is one write transaction: {@code StorageItem.commit()} writes every queued
 *       operation in one transaction; {@code MetadataStore.clear} removes values, index entries and
 *       external values in one. A callback that throws aborts its transaction: nothing is written.</li>
 *   <li>Write callbacks may run more than once (after the map grew), so they must only write through
 *       the transaction or {@code ItemWriter} they receive and have no other side effects.</li>
 *   <li>Writers are serialised. A {@code StorageItem} mirrors its committed writes in memory after the
 *       commit and in commit order; its readers never open a transaction.</li>
 *   <li>Everything here is thread-safe. Failures of LMDB or of stored JSON surface as
 *       {@link org.refcache.core.meta.MetadataException} naming the item and key; absence is a null or
 *       an empty item, never an exception.</li>
 * </ul>
 *
 * <h2>BuildKit behaviours kept on purpose</h2>
 * <ul>
 *   <li>Overwriting an indexed value with a value under another index keeps the old index entry
 *       (PR #1836); {@code clearValueAndIndex} removes it explicitly, {@code clear} removes all.</li>
 *   <li>Exact search matches every entry starting with {@code <index>::} and takes the ID after the last
 *       {@code ::}. BuildKit's search could loop forever on an entry without {@code ::}; here such
 *       entries are skipped.</li>
 * </ul>
 */
package org.refcache.core.meta;
