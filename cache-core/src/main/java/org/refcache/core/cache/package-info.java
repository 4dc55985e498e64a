/**
 * The ref manager: BuildKit's cache model in Java ({@code spec/buildkit-cache.md} sections 1-3, 6).
 *
 * <h2>Parts</h2>
 * {@link org.refcache.core.cache.CacheManager} is the facade (BuildKit's Accessor + Controller +
 * close); package-private collaborators do the work:
 * <ul>
 *   <li>{@code RecordStore}: the global lock, the records in memory and in LMDB, loading and
 *       validating them (at open and with their parents), purging those that cannot load, each
 *       record's handle set, releasing handles, removing records;</li>
 *   <li>{@code RefAccessor}: {@code get}, {@code getMutable}, {@code newRef}, {@code getByBlob},
 *       {@code search}, {@code layerChain}, {@code setBlob}: handing out handles, making records;</li>
 *   <li>{@code Commits}: commit, twins, un-commit, finalize, discard;</li>
 *   <li>{@code DerivedRefs}: {@code merge} and {@code diff} (spec 5): records made of other
 *       records' trees, metadata only (flattening, the ancestor rule, a merge's chain IDs);</li>
 *   <li>{@code Materializer}: a record's {@code LayerChain} (its records bottom to top with their
 *       providers, and the layers of its union: records' own directories and diffs' change sets)
 *       to a tree whose layers are materialized ({@code LazyBlobs} fetches, {@code LayerStore}
 *       unpacks, {@code UnpackFailures} remembers) when a lookup first reaches them, or all at once
 *       by {@code extract};</li>
 *   <li>{@code RecordUsage}: sizes, file lists, the rows of {@code ls}/{@code info}, whether a tree
 *       needs an unpack;</li>
 *   <li>{@code Remotes} (with {@code BlobChains} and {@code BlobVariants}): {@code getRemotes}
 *       (spec 6.4): a layer chain as blob descriptors, blobs made for layers without one (streamed
 *       from their change sets, outside the lock, once per record), compression variants linked by
 *       content labels (spec 6.7), which the collector follows;</li>
 *   <li>{@code DiskUsage} (over a {@code UsageSnapshot} of the records and the {@code DataObject}s
 *       they use, measured by {@code ObjectSizes}), {@code Pruner} (with {@code PruneOrder},
 *       {@link org.refcache.core.cache.KeepBytes}) and {@code GarbageCollector} (with
 *       {@code Leases}): disk usage, prune and the collection of data no record uses (spec 4).</li>
 * </ul>
 * They log under the {@code CacheManager} category.
 *
 * <h2>Records and handles</h2>
 * A <em>record</em> is the persistent entry of one ID (metadata in LMDB, data in a layer or upper
 * directory). A <em>handle</em> ({@link org.refcache.core.cache.ImmutableRef},
 * {@link org.refcache.core.cache.MutableRef}) is an open reference to a record; every handle is released
 * exactly once ({@code close()} = release; a second release of the same handle is a no-op). Children hold
 * internal handles (clones) of their parents, so a parent lives as long as any child does. An immutable
 * record is never destroyed because its handles are gone: it waits for prune. A mutable record is
 * destroyed when its handle is released, unless it (or its committed twin) has the retain policy.
 *
 * <h2>Commit, twins and finalize</h2>
 * {@code commit} creates an immutable twin sharing the mutable's upper directory; no data is copied. The
 * mutable stays locked while the twin is held and its tree turns read-only (DESIGN decision 2). When the
 * twin has no handles, {@code getMutable} deletes the twin and hands the mutable out again.
 * {@code finalizeRef} hands the upper over to the twin for good: the mutable's metadata is cleared first,
 * then the twin's link, so a crash in between loads as finalized. {@code discard} undoes a creation
 * nobody else saw (a new record, a commit whose twin has no other handle: the tree thaws), for a
 * caller that could not record the handle it was given; {@code sync} flushes metadata before such a
 * caller records it elsewhere.
 *
 * <h2>Lazy blobs</h2>
 * {@code getByBlob} records metadata only. {@code extract} fetches every blob of a record's tree
 * (once per digest across the manager) and unpacks it (once per diffID into {@code layers/<hex>});
 * {@code mount} does so for the top layer only, and the tree it returns for each other layer when a
 * lookup first reaches it (top-down until the answer is known; see {@code org.refcache.core.overlay}).
 * A failure there fails that lookup, with the errno below, as an {@code UncheckedIOException}.
 * Lazy records survive a restart; their provider is re-bound through the configured
 * {@link org.refcache.core.cache.RemoteResolver} from the stored source (DESIGN decision 1).
 * An unpack that fails is recorded with the blob ({@code UnpackFailures}) and thrown as a
 * {@link org.refcache.core.cache.LayerUnpackException} carrying the errno an access answers; later
 * extracts throw it again at once, without reading the blob, until its cause can have changed (see
 * {@code UnpackFailures} for which failure holds how long). A failed fetch is not recorded.
 *
 * <h2>Disk usage, prune and garbage collection</h2>
 * Deletion is two-phase. Prune removes <em>records</em>: one with no handle but weak ones (children
 * hold clones of their parents, so children go first), allowed by the options (type, keep duration,
 * filter), least recently and least frequently used first when a size target is set. Its tombstones
 * ({@code cache.deleted}) are written in one LMDB transaction per batch under the manager lock, the
 * records leave memory at once, their metadata is cleared after, outside the lock; a start purges
 * tombstoned records. The {@code GarbageCollector} then removes <em>data</em>: blobs, layers and
 * uppers no root reaches. Roots: the records in memory, pruned records still read through weak
 * handles ({@link org.refcache.core.cache.RefOptions#weak()}: the FUSE view's; they keep the data, not
 * the record), blobs labelled {@code containerd.io/gc.root}, and what is recent (stored within the
 * grace period, or since an open {@link org.refcache.core.cache.WorkLease} began). It moves garbage
 * into {@code tmp/} under the manager lock in batches and deletes it outside, measuring what that
 * freed. Disk usage reports one row per record and rows for the service's own files, with every
 * blob or layer counted once: the rows add up to what the state root takes on disk.
 *
 * <h2>Locks and threads</h2>
 * <ul>
 *   <li>One manager lock ({@code RecordStore.mu}, shared by every part) guards the record map, every record's handle set, twin links and record
 *       creation and removal. Everything done under it is metadata: O(1) LMDB transactions and in-memory
 *       updates. Lock order: manager lock, then the LMDB environment's internal locks; nothing else is
 *       taken while holding it.</li>
 *   <li>Slow I/O (fetching, unpacking, listing files, sizing) runs outside the manager lock, deduplicated
 *       by single-flight groups keyed by blob digest, record ID or diffID.</li>
 *   <li>Removed mutables' upper directories are deleted by a background thread, after their metadata is
 *       gone; directories no record owns are removed at the next start.</li>
 *   <li>Prune and garbage collection run one at a time (a maintenance lock, taken before the manager
 *       lock); disk usage runs beside them. Lock order: maintenance lock, manager lock, a content
 *       store digest lock (the collector moves a blob under both), LMDB. A start after a prune that was
 *       cut short ({@code <root>/gc.pending}) collects at once and deletes on the {@code refcache-gc}
 *       thread.</li>
 *   <li>LMDB transactions never leave the thread that runs them (callbacks of
 *       {@link org.refcache.core.meta.LmdbEnvironment}).</li>
 * </ul>
 *
 * <h2>Merge and diff</h2>
 * A merge stacks every layer of its (flattened) inputs, each layer once, where it is highest; a
 * diff is a merge of one-layer diffs (the ancestor rule), a one-layer diff (its upper's own layer),
 * or a change set of the two trees compared where they are read. Nothing is materialized when they
 * are made; a merge holds no bytes of its own. A diff's chain IDs are never set: BuildKit gives a
 * diff that reuses its upper's blob the upper's IDs, which would let {@code getByBlob} of the
 * upper's chain return the diff, a tree without the lower's layers.
 *
 * <h2>Where refcache differs from BuildKit</h2>
 * Layers are directories in overlay-upper form, not containerd snapshots; a record's "snapshot" is its
 * own layer directory stacked on its parents' (see {@link org.refcache.core.overlay}). Instead of
 * containerd's leases, the roots of the collection are the records themselves (a record's data is
 * what its fields name), weak handles of pruned records, work leases and the grace period. Releasing a
 * default-policy mutable still deletes its upper at once (nothing else can use it); everything else
 * is deleted by the collector. Sizes are dedupe-aware and include the service's own files; prune
 * filters apply every field; records sharing data are not spared by prune without {@code all}
 * (there is no image store to share with).
 */
package org.refcache.core.cache;
