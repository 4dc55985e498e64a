package org.refcache.core.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.layer.LayerLimits;
import org.refcache.core.layer.LayerStore;
import org.refcache.core.layer.LayerUnpacker;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.meta.MetadataStore;

/**
 * The ref manager: BuildKit's cache {@code Manager} (Accessor + Controller + close) over the content
 * store, the LMDB metadata store, the layer store and upper directories. A facade: the work is done by
 * package-private collaborators, which share its global lock ({@link RecordStore#mu}):
 *
 * <ul>
 *   <li>{@link RecordStore}: the records and their handles (load, purge, release, removal);</li>
 *   <li>{@link RefAccessor}: handing out handles ({@code get}, {@code getMutable}, {@code newRef},
 *       {@code getByBlob}, {@code search});</li>
 *   <li>{@link Commits}: commit, twins, finalize, discard;</li>
 *   <li>{@link Materializer} (with {@link LazyBlobs} and {@link LayerChain}): lazy blobs to layer
 *       directories to trees;</li>
 *   <li>{@link DerivedRefs}: merges and diffs;</li>
 *   <li>{@link Remotes} (with {@link BlobChains} and {@link BlobVariants}): layer chains as blobs,
 *       made where missing, and their compression variants;</li>
 *   <li>{@link RecordUsage}: sizes, file lists, record rows.</li>
 * </ul>
 *
 * See {@code package-info.java} for the lifecycle, the lock order and the thread rules.
 */
public final class CacheManager implements AutoCloseable {
  private final StateLayout layout;
  private final LmdbEnvironment env;
  private final ContentStore content;
  private final LayerStore layers;
  private final LayerLimits layerLimits;
  private final UnpackFailures unpackFailures;
  // The collaborators; handles reach them through these fields.
  final RecordStore records;
  final Commits commits;
  final RefAccessor accessor;
  final Materializer materializer;
  final RecordUsage usage;
  final DerivedRefs derived;
  final Remotes remotes;
  private final DiskUsage diskUsage;
  private final Pruner pruner;
  private final GarbageCollector gc;
  private final Leases leases;

  private CacheManager(CacheConfig config) throws IOException {
    this.layout = new StateLayout(config.root());
    this.layerLimits = config.layerLimits();
    layout.create();
    List<String> dbs = new ArrayList<>(MetadataStore.DATABASES);
    dbs.add(ContentStore.DATABASE);
    this.env = LmdbEnvironment.open(layout.meta(), dbs);
    try {
      MetadataStore store = new MetadataStore(env);
      this.content = ContentStore.open(layout.content(), env);
      this.layers = new LayerStore(layout.layers(), new LayerUnpacker(true, layerLimits));
      this.unpackFailures = new UnpackFailures(content, layout.layers(), config.clock());
      LazyBlobs blobs = new LazyBlobs(content, config.resolver(), this::lease);
      this.records = new RecordStore(this, store, layout, config.clock());
      this.commits = new Commits(records, layout, config.clock());
      this.materializer = new Materializer(records, content, layers, blobs, unpackFailures, layout.uppers(),
          layout.tmp());
      this.accessor = new RefAccessor(this, records, commits, materializer, blobs, layers, layout);
      this.derived = new DerivedRefs(records, commits);
      this.remotes = new Remotes(new BlobChains(this, records, commits, materializer, content),
          new BlobVariants(content), blobs, content);
      this.usage = new RecordUsage(this, records, materializer, blobs, unpackFailures, content, layers,
          layerLimits);
      ObjectSizes sizes = new ObjectSizes();
      this.diskUsage = new DiskUsage(this, records, layout, sizes);
      // Prune and collection run one at a time (BuildKit's muPrune).
      ReentrantLock maintenance = new ReentrantLock();
      this.leases = new Leases(records);
      this.gc = new GarbageCollector(records, layout, content, sizes, leases, maintenance, env::sync);
      this.pruner = new Pruner(this, records, store, diskUsage, layout, config.clock(), maintenance, gc);
      clearScratch();
      records.load();
      gc.collectIfPruneWasCutShort();
    } catch (IOException | RuntimeException e) {
      env.close();
      throw e;
    }
  }

  /** Opens the cache at {@code config.root()}, loading and validating every record. */
  public static CacheManager open(CacheConfig config) throws IOException {
    return new CacheManager(config);
  }

  /** Empties the scratch directory (spec case 15: stale mount-pool directories go at start). */
  private void clearScratch() throws IOException {
    try (Stream<Path> s = Files.list(layout.tmp())) {
      for (Path p : s.toList()) {
        FileTrees.deleteRecursively(p);
      }
    }
  }

  public StateLayout layout() {
    return layout;
  }

  public ContentStore contentStore() {
    return content;
  }

  public LayerStore layerStore() {
    return layers;
  }

  /** What one layer may cost to unpack or list; an import holds layers to the same limits. */
  public LayerLimits layerLimits() {
    return layerLimits;
  }

  /**
   * Forgets that unpacking {@code blob} failed, so that the next access that needs it tries
   * again: the blob was just stored again (an import of the same bytes, which checked them).
   */
  public void forgetUnpackFailure(Digest blob) throws IOException {
    unpackFailures.forget(blob);
  }

  /** The LMDB environment (for disk accounting and other stores sharing it). */
  public LmdbEnvironment environment() {
    return env;
  }

  // ---------------------------------------------------------------------------------------------
  // Accessor

  /** A handle to the record {@code id} (spec 2.5). */
  public ImmutableRef get(String id, RefOption... opts) {
    ImmutableRef ref = accessor.get(id, opts);
    if (RefOptions.isWeak(opts)) {
      records.mu.lock();
      try {
        ((RefHandle) ref).weak = true;
      } finally {
        records.mu.unlock();
      }
    }
    return ref;
  }

  /** The only handle to the mutable record {@code id}, un-committing an idle twin (spec 2.6). */
  public MutableRef getMutable(String id, RefOption... opts) {
    return accessor.getMutable(id, opts);
  }

  /** A new writable record over {@code parent} (null = scratch) (spec 2.7). */
  public MutableRef newRef(ImmutableRef parent, RefOption... opts) {
    return accessor.newRef(parent, opts);
  }

  /**
   * An immutable blob-only record for a layer blob over {@code parent} (spec 2.10). Metadata only: no
   * data is fetched or unpacked unless {@link RefOptions#unlazy()} is given.
   */
  public ImmutableRef getByBlob(Descriptor desc, ImmutableRef parent, RefOption... opts) {
    return accessor.getByBlob(desc, parent, opts);
  }

  /** The options of layer {@code index} (the bottom one is 0) of a chain: {@link #getByBlobs}. */
  @FunctionalInterface
  public interface LayerOptions {
    RefOption[] of(int index, Descriptor layer);
  }

  /**
   * The records of a chain of layer blobs, bottom first, each over the one before ({@link
   * #getByBlob}); returns a handle to the top one, or null for no layers. The handles of the
   * layers below are released as the chain is made, and none is kept when a layer fails.
   */
  public ImmutableRef getByBlobs(List<Descriptor> layers, LayerOptions options) {
    ImmutableRef parent = null;
    try {
      for (int i = 0; i < layers.size(); i++) {
        ImmutableRef next = getByBlob(layers.get(i), parent, options.of(i, layers.get(i)));
        if (parent != null) {
          parent.release();
        }
        parent = next;
      }
      ImmutableRef top = parent;
      parent = null;
      return top;
    } finally {
      if (parent != null) {
        parent.release();
      }
    }
  }

  /**
   * A ref whose tree stacks every layer of {@code inputs} in order (spec 5.1): later files win,
   * directories unite, later deletions (whiteouts, opaque directories) hide what earlier inputs
   * have. Null inputs are skipped and merge inputs flattened into theirs; then no input gives
   * {@code null} (a merge of nothing is nothing), one input gives a new handle to it, and more make
   * a new immutable record holding clones of them. Metadata only: nothing is read, copied or linked
   * however large the inputs are; the union is resolved when the tree is first read.
   *
   * @return a handle the caller releases, or null
   * @throws NotFoundException when an input's record is gone
   */
  public ImmutableRef merge(List<? extends ImmutableRef> inputs, RefOption... opts) {
    return derived.merge(inputs, opts);
  }

  /**
   * A ref whose tree is the changes that turn {@code lower}'s tree into {@code upper}'s (spec 5.2;
   * {@code upper} null is scratch: everything of lower deleted). Standing alone its tree shows what
   * was added and changed, with the directories holding it; as a merge input its deletions apply
   * too. When {@code upper}'s layer chain extends {@code lower}'s by two layers or more, the result
   * is a merge of one-layer diffs (the ancestor rule); a one-layer diff's changes are its upper's
   * own layer. Any other diff is worked out when its tree is first read, by comparing the two
   * trees (content, type, mode, owner, mtime, xattrs, link targets); nothing is copied. Metadata only.
   *
   * @return a handle the caller releases
   * @throws InvalidRefException when {@code lower} is null
   * @throws NotFoundException when an input's record is gone
   */
  public ImmutableRef diff(ImmutableRef lower, ImmutableRef upper, RefOption... opts) {
    return derived.diff(lower, upper, opts);
  }

  /** Metadata of the records indexed under {@code index} (spec 2.20), sorted by ID. */
  public List<RefMetadata> search(String index, boolean prefixOnly) {
    return accessor.search(index, prefixOnly);
  }

  /** Every live record, sorted by ID. */
  public List<RecordInfo> records() {
    return usage.records();
  }

  /** Every live record, sorted by ID, to {@code sink}, a chunk at a time (nothing held for all). */
  public void eachRecord(Consumer<RecordInfo> sink) {
    usage.eachRecord(sink);
  }

  /** One record; NotFoundException when unknown. Does not count as a use. */
  public RecordInfo info(String id) {
    return usage.info(id);
  }

  /**
   * Whether a read-only mount of {@code id} would first have to fetch or unpack a layer of its
   * chain (so it may take long), without doing it. A mutable record answers for its parents.
   *
   * @throws NotFoundException if there is no such record
   */
  public boolean needsExtract(String id) {
    return usage.needsExtract(id);
  }

  /**
   * Disk usage (spec 4.2): gives {@code sink} one row per record {@code filter} lets through (a
   * committed pair once), in ID order, then, without a filter, one row per kind of the service's
   * own files, so that the rows add up to what the state root takes on disk. See {@link UsageInfo}
   * for what each field means and {@link DiskUsage} for the rows.
   *
   * @return the summary of the rows given
   */
  public UsageTotals diskUsage(UsageFilter filter, Consumer<UsageInfo> sink) {
    return diskUsage.run(filter == null ? UsageFilter.ALL : filter, sink);
  }

  // ---------------------------------------------------------------------------------------------
  // Controller

  /**
   * Prune (spec 4.3): removes the records {@code options} allow that nothing but weak handles holds,
   * least recently and least frequently used first, until its size target is met; gives each to
   * {@code removed} (with the size it accounted for). Removes records, not data: see
   * {@link Pruner}. Interrupting the calling thread, or {@code removed} throwing, stops it between
   * batches of records.
   */
  public PruneResult prune(PruneOptions options, Consumer<UsageInfo> removed) {
    return prune(options, removed, id -> { });
  }

  /**
   * {@link #prune(PruneOptions, Consumer)}, also giving {@code removedIds} the ID of every record
   * removed (both records of a committed pair), for a caller that shows records by ID (the view).
   */
  public PruneResult prune(PruneOptions options, Consumer<UsageInfo> removed, Consumer<String> removedIds) {
    return pruner.prune(options == null ? PruneOptions.defaults() : options, removed == null ? u -> { } : removed,
        removedIds == null ? id -> { } : removedIds);
  }

  /**
   * Collects garbage now (prune does after every run): removes blobs, layers and uppers no record
   * uses, sparing those stored within {@code grace} or since an open {@link #lease()} began; see
   * {@link GarbageCollector}.
   */
  public GcResult collectGarbage(Duration grace) {
    records.ensureOpen();
    return gc.collect(Set.of(), grace);
  }

  /** {@link #collectGarbage(Duration)} with the default grace (10 minutes). */
  public GcResult collectGarbage() {
    return collectGarbage(GarbageCollector.DEFAULT_GRACE);
  }

  /**
   * A lease for work in progress: what is stored while it is open survives collections until it is
   * closed (an import between storing its blob and recording it takes one).
   */
  public WorkLease lease() {
    return leases.take();
  }

  /**
   * Undoes the creation of a record nobody else has seen, for a caller that cannot keep the handle it
   * was given (the service, when it cannot record the handle as held): releases {@code ref} and removes
   * the record when {@code ref} is its only handle (no other holder, no child on it) and the record is
   * <ul>
   *   <li>a mutable without a twin ({@link #newRef}): it goes with its upper, whatever its policy;</li>
   *   <li>a twin whose mutable's committing handle is still registered ({@link MutableRef#commit}):
   *       the commit is undone, and the mutable is writable again through that handle;</li>
   *   <li>a layer record that never counted a use ({@link #getByBlob}): one found again by
   *       {@code getByBlob} counted a use when its last handle went, and is only released;</li>
   *   <li>a merge or diff record that never counted a use ({@link #merge}, {@link #diff}).</li>
   * </ul>
   * Anything else is a plain release. An LMDB failure is thrown with nothing changed.
   *
   * @return whether the record went
   */
  public boolean discard(Ref ref) {
    return commits.discard(ref);
  }

  /**
   * Open handles of a record. Tests only (BuildKit's conformance cases count them), and kept because
   * the API shows only whether a record has handles, not how many: closing one of several is otherwise
   * invisible.
   */
  int handleCount(String id) {
    return records.handleCount(id);
  }

  /**
   * Flushes every metadata change made so far to disk (LMDB commits are not flushed one by one; see
   * {@link LmdbEnvironment}): for a caller about to promise elsewhere that a record exists.
   */
  public void sync() {
    records.ensureOpen();
    env.sync();
  }

  /** Waits for pending data removal, flushes and closes the metadata store. Idempotent. */
  @Override
  public void close() {
    if (records.close()) {
      gc.close();
      env.close();
    }
  }
}
