package org.refcache.core.cache;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.layer.LayerStore;
import org.refcache.core.layer.TarLister;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.StorageItem;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ref manager: BuildKit's cache {@code Manager} (Accessor + Controller + close) over the content
 * store, the LMDB metadata store, the layer store and upper directories. See {@code package-info.java}
 * for the lifecycle, the lock order and the thread rules.
 */
public final class CacheManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FILE_LIST = "filelist";

  private final StateLayout layout;
  private final Clock clock;
  private final RemoteResolver resolver;
  private final LmdbEnvironment env;
  private final MetadataStore store;
  private final ContentStore content;
  private final LayerStore layers;
  /** The global lock: records, handles, twin links, record creation and removal. */
  private final ReentrantLock mu = new ReentrantLock();
  private final Map<String, CacheRecord> records = new HashMap<>();
  /** Providers re-bound through the resolver or passed once, by blob digest. */
  private final Map<Digest, DescHandler> boundProviders = new ConcurrentHashMap<>();
  private final SingleFlight<Digest> fetches = new SingleFlight<>();
  private final SingleFlight<String> unlazies = new SingleFlight<>();
  private final SingleFlight<String> fileLists = new SingleFlight<>();
  /** Deletes the data of removed mutables outside the lock. */
  private final ExecutorService reaper = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "refcache-reaper");
    t.setDaemon(true);
    return t;
  });
  private final SecureRandom random = new SecureRandom();
  private volatile boolean closed;

  private CacheManager(CacheConfig config) throws IOException {
    this.layout = new StateLayout(config.root());
    this.clock = config.clock();
    this.resolver = config.resolver();
    layout.create();
    List<String> dbs = new ArrayList<>(MetadataStore.DATABASES);
    dbs.add(ContentStore.DATABASE);
    this.env = LmdbEnvironment.open(layout.meta(), dbs);
    try {
      this.store = new MetadataStore(env);
      this.content = ContentStore.open(layout.content(), env);
      this.layers = new LayerStore(layout.layers());
      clearScratch();
      init();
    } catch (IOException | RuntimeException e) {
      env.close();
      throw e;
    }
  }

  /** Opens the cache at {@code config.root()}, loading and validating every record. */
  public static CacheManager open(CacheConfig config) throws IOException {
    return new CacheManager(config);
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

  /** The LMDB environment (for disk accounting and other stores sharing it). */
  public LmdbEnvironment environment() {
    return env;
  }

  // ---------------------------------------------------------------------------------------------
  // start-up

  /** Empties the scratch directory (spec case 15: stale mount-pool directories go at start). */
  private void clearScratch() throws IOException {
    try (Stream<Path> s = Files.list(layout.tmp())) {
      for (Path p : s.toList()) {
        FileTrees.deleteRecursively(p);
      }
    }
  }

  /**
   * Loads every record like BuildKit's init: records that cannot load (tombstoned, broken parents,
   * missing data) are purged. Lazy records stay (DESIGN decision 1): their providers are re-bound when
   * needed. Upper directories no record owns are removed.
   */
  private void init() throws IOException {
    mu.lock();
    try {
      for (StorageItem item : store.all()) {
        try {
          getRecord(item.id(), Map.of(), false);
        } catch (NotFoundException e) {
          LOG.info("dropped record {} at start: {}", item.id(), Printable.line(e.getMessage()));
        } catch (RuntimeException e) {
          // Any record that cannot load is dropped, never fatal (spec section 8): malformed values
          // (MetadataException), unparsable digests, broken parents.
          LOG.warn("purging record {} that cannot load: {}", item.id(), Printable.line(e.toString()));
          purge(item.id());
        }
      }
    } finally {
      mu.unlock();
    }
    Set<Path> owned = new HashSet<>();
    mu.lock();
    try {
      for (CacheRecord r : records.values()) {
        if (r.layerDir != null) {
          owned.add(r.layerDir);
        }
      }
    } finally {
      mu.unlock();
    }
    try (Stream<Path> s = Files.list(layout.uppers())) {
      for (Path p : s.toList()) {
        if (!owned.contains(p)) {
          LOG.info("removing upper {} that no record owns", Printable.name(p.getFileName()));
          FileTrees.deleteRecursively(p);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // record loading (caller holds mu)

  /**
   * Returns the live record {@code id}, loading it and its parents from metadata when needed (spec 2.4).
   *
   * @param checkLazy whether to require providers for lazy blobs of the chain
   */
  private CacheRecord getRecord(String id, Map<Digest, DescHandler> handlers, boolean checkLazy) {
    CacheRecord rec = records.get(id);
    if (rec != null) {
      if (rec.isDead()) {
        throw new NotFoundException("failed to get dead record " + id);
      }
      if (checkLazy) {
        checkLazyProviders(rec, handlers);
      }
      return rec;
    }
    StorageItem md;
    try {
      md = store.get(id);
    } catch (IllegalArgumentException e) {
      // A name the metadata store cannot hold (empty, "::", NUL...) names no record.
      throw new NotFoundException("record " + id + " not found: " + e.getMessage());
    }
    if (!md.exists()) {
      throw new NotFoundException("record " + id + " not found");
    }
    if (md.getBool(MetadataKeys.DELETED)) {
      purge(id);
      throw new NotFoundException("failed to get deleted record " + id);
    }
    Parents parents = loadParents(id, md, handlers);
    try {
      boolean mergeOrDiff = parents.kind() == RefKind.MERGE || parents.kind() == RefKind.DIFF;
      boolean mutable = !md.getBool(MetadataKeys.COMMITTED) && !mergeOrDiff;
      String dir = md.getString(MetadataKeys.LAYER_DIR);
      Path layerDir = dir == null || dir.isEmpty() ? null : layout.root().resolve(dir);
      CacheRecord twinOf = null;
      String mid = md.getString(MetadataKeys.EQUAL_MUTABLE);
      if (mid != null && !mid.isEmpty()) {
        try {
          twinOf = getRecord(mid, handlers, false);
        } catch (NotFoundException e) {
          if (layerDir != null && Files.isDirectory(layerDir)) {
            // Finalize got as far as dropping the mutable: the data is ours now (spec case 13).
            md.setValue(MetadataKeys.EQUAL_MUTABLE, null);
          } else {
            throw new NotFoundException("record " + id + " lost its mutable twin " + mid + " and its data");
          }
        }
      }
      if (mutable && layerDir == null) {
        throw new NotFoundException("mutable record " + id + " has no upper directory");
      }
      rec = new CacheRecord(id, md, mutable, parents, layerDir);
      if (twinOf != null) {
        // The committing handle did not survive the restart: an unregistered handle stands for it.
        rec.equalMutable = new MutableHandle(this, twinOf, false, Map.of());
        twinOf.equalImmutable = rec;
      }
      records.put(id, rec);
    } catch (NotFoundException e) {
      releaseParents(parents);
      purge(id);
      throw e;
    } catch (RuntimeException e) {
      releaseParents(parents);
      throw e;
    }
    if (checkLazy) {
      checkLazyProviders(rec, handlers);
    }
    return rec;
  }

  private Parents loadParents(String id, StorageItem md, Map<Digest, DescHandler> handlers) {
    List<ImmutableHandle> acquired = new ArrayList<>();
    try {
      String parent = md.getString(MetadataKeys.PARENT);
      if (parent != null && !parent.isEmpty()) {
        return new Parents.Layer(internalHandle(parent, handlers, acquired));
      }
      List<String> merge = md.getStringList(MetadataKeys.MERGE_PARENTS);
      if (merge != null && !merge.isEmpty()) {
        for (String m : merge) {
          internalHandle(m, handlers, acquired);
        }
        return new Parents.Merge(List.copyOf(acquired));
      }
      String lower = md.getString(MetadataKeys.LOWER_DIFF_PARENT);
      String upper = md.getString(MetadataKeys.UPPER_DIFF_PARENT);
      boolean hasLower = lower != null && !lower.isEmpty();
      boolean hasUpper = upper != null && !upper.isEmpty();
      if (hasLower || hasUpper) {
        ImmutableHandle l = hasLower ? internalHandle(lower, handlers, acquired) : null;
        ImmutableHandle u = hasUpper ? internalHandle(upper, handlers, acquired) : null;
        return new Parents.Diff(l, u);
      }
      return Parents.NONE;
    } catch (CacheException e) {
      // No handle may leak from a half-loaded parent list (spec case 14).
      for (ImmutableHandle h : acquired) {
        releaseImmutableLocked(h);
      }
      if (e instanceof NotFoundException) {
        purge(id);
        throw new NotFoundException("record " + id + ": parent not found: " + e.getMessage());
      }
      throw e;
    }
  }

  private ImmutableHandle internalHandle(String id, Map<Digest, DescHandler> handlers, List<ImmutableHandle> acquired) {
    CacheRecord p = getRecord(id, handlers, false);
    if (p.mutable) {
      throw new InvalidRefException("parent " + id + " is mutable");
    }
    ImmutableHandle h = new ImmutableHandle(this, p, false, handlers);
    p.refs.add(h);
    acquired.add(h);
    return h;
  }

  /** Fails when a lazy blob of the chain has no provider, neither given nor re-bindable (spec 2.4 step 9). */
  private void checkLazyProviders(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Digest> missing = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<CacheRecord> todo = new ArrayList<>();
    todo.add(rec);
    while (!todo.isEmpty()) {
      CacheRecord r = todo.remove(todo.size() - 1);
      if (!seen.add(r.id)) {
        continue;
      }
      if (r.isBlobOnly()) {
        Digest blob = blobOf(r);
        if (blob != null && !blobIsLocal(blob) && providerFor(r, blob, handlers) == null) {
          missing.add(blob);
        }
      }
      for (ImmutableHandle h : r.parents.handles()) {
        todo.add(h.rec);
      }
    }
    if (!missing.isEmpty()) {
      throw new NeedsRemoteProviderException(missing);
    }
  }

  private DescHandler providerFor(CacheRecord r, Digest blob, Map<Digest, DescHandler> handlers) {
    DescHandler h = handlers.get(blob);
    if (h != null) {
      return h;
    }
    h = boundProviders.get(blob);
    if (h != null) {
      return h;
    }
    Optional<DescHandler> resolved = resolver.resolve(r.md.getString(MetadataKeys.REMOTE), descriptorOf(r));
    resolved.ifPresent(d -> boundProviders.put(blob, d));
    return resolved.orElse(null);
  }

  private boolean blobIsLocal(Digest blob) {
    return Files.exists(content.blobPath(blob));
  }

  private static Digest blobOf(CacheRecord r) {
    String b = r.md.getString(MetadataKeys.BLOB);
    return b == null || b.isEmpty() ? null : Digest.parse(b);
  }

  private static Digest diffIdOf(CacheRecord r) {
    String b = r.md.getString(MetadataKeys.DIFF_ID);
    return b == null || b.isEmpty() ? null : Digest.parse(b);
  }

  private static Descriptor descriptorOf(CacheRecord r) {
    Digest blob = blobOf(r);
    Digest diffId = diffIdOf(r);
    if (blob == null || diffId == null) {
      throw new NoBlobsException(r.id);
    }
    String mt = r.md.getString(MetadataKeys.MEDIA_TYPE);
    return new Descriptor(mt == null ? "" : mt, blob, r.md.getLong(MetadataKeys.BLOB_SIZE, -1),
        Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString()), r.md.getStringList(MetadataKeys.URLS));
  }

  // ---------------------------------------------------------------------------------------------
  // Accessor

  /** A handle to the record {@code id} (spec 2.5). */
  public ImmutableRef get(String id, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    mu.lock();
    try {
      ensureOpen();
      CacheRecord rec = getRecord(id, o.descHandlers(), true);
      applyImageRefs(rec, o.imageRefs());
      if (rec.mutable) {
        if (!rec.refs.isEmpty()) {
          throw new LockedException(id);
        }
        if (rec.equalImmutable != null) {
          return newImmutableHandle(rec.equalImmutable, !o.noUpdateLastUsed(), o.descHandlers());
        }
        // BuildKit quirk 4, kept: an idle mutable is committed on the spot.
        MutableHandle mh = new MutableHandle(this, rec, !o.noUpdateLastUsed(), o.descHandlers());
        rec.refs.add(mh);
        try {
          ImmutableHandle twin = commitLocked(mh);
          // Nobody held the mutable, so no write can be in flight on its tree.
          if (rec.tree instanceof WritableOverlayTree w) {
            w.freeze();
          }
          return twin;
        } catch (RuntimeException e) {
          rec.refs.remove(mh);
          mh.released = true;
          throw e;
        }
      }
      return newImmutableHandle(rec, !o.noUpdateLastUsed(), o.descHandlers());
    } finally {
      mu.unlock();
    }
  }

  /** The only handle to the mutable record {@code id}, un-committing an idle twin (spec 2.6). */
  public MutableRef getMutable(String id, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    mu.lock();
    try {
      ensureOpen();
      CacheRecord rec = getRecord(id, o.descHandlers(), true);
      if (!rec.mutable) {
        throw new InvalidRefException(id + " is not mutable");
      }
      if (!rec.refs.isEmpty()) {
        throw new LockedException(id);
      }
      CacheRecord twin = rec.equalImmutable;
      if (twin != null) {
        if (!twin.refs.isEmpty()) {
          throw new LockedException(id);
        }
        removeRecord(twin, false);
        twin.equalMutable = null;
        rec.equalImmutable = null;
        rec.tree = null;
      }
      MutableHandle h = new MutableHandle(this, rec, !o.noUpdateLastUsed(), o.descHandlers());
      rec.refs.add(h);
      applyImageRefs(rec, o.imageRefs());
      return h;
    } finally {
      mu.unlock();
    }
  }

  /** A new writable record over {@code parent} (null = scratch) (spec 2.7). */
  public MutableRef newRef(ImmutableRef parent, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    ImmutableHandle parentClone = null;
    Map<Digest, DescHandler> handlers = o.descHandlers();
    if (parent != null) {
      parentClone = (ImmutableHandle) cloneHandle(ownHandle(parent));
      handlers = o.handlersOver(parentClone.descHandlers);
    }
    String id = newId();
    // Metadata only: the upper directory is made on first mount (DESIGN: creating a ref is O(1) metadata).
    Path upper = layout.uppers().resolve(id);
    try {
      if (parentClone != null) {
        finalizeRecord(parentClone.rec);
        extractRecord(parentClone.rec, handlers);
      }
      mu.lock();
      try {
        ensureOpen();
        StorageItem md = store.get(id);
        if (parentClone != null) {
          md.queueString(MetadataKeys.PARENT, parentClone.rec.id, null);
        }
        initializeMetadata(md, o);
        md.queueString(MetadataKeys.SNAPSHOT, id, null);
        md.queueString(MetadataKeys.LAYER_DIR, layout.relative(upper), null);
        queueImageRefs(md, o.imageRefs());
        md.commit();
        CacheRecord rec = new CacheRecord(id, md, true,
            parentClone == null ? Parents.NONE : new Parents.Layer(parentClone), upper);
        records.put(id, rec);
        MutableHandle h = new MutableHandle(this, rec, true, handlers);
        rec.refs.add(h);
        return h;
      } finally {
        mu.unlock();
      }
    } catch (RuntimeException e) {
      if (parentClone != null) {
        parentClone.release();
      }
      throw e;
    }
  }

  /**
   * An immutable blob-only record for a layer blob over {@code parent} (spec 2.10). Metadata only: no
   * data is fetched or unpacked unless {@link RefOptions#unlazy()} is given.
   */
  public ImmutableRef getByBlob(Descriptor desc, ImmutableRef parent, RefOption... opts) {
    RefOptions.Parsed o = RefOptions.Parsed.of(opts);
    String diffIdText = desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION);
    if (diffIdText == null || diffIdText.isEmpty()) {
      throw new InvalidRefException("missing uncompressed annotation for " + desc.digest());
    }
    Digest diffId = Digest.parse(diffIdText);
    Map<Digest, DescHandler> handlers = o.descHandlers();
    if (!handlers.containsKey(desc.digest()) && !blobIsLocal(desc.digest())) {
      throw new NeedsRemoteProviderException(List.of(desc.digest()));
    }
    ChainPair ids = ChainPair.base(desc.digest(), diffId);
    ImmutableHandle p = null;
    if (parent != null) {
      Map<Digest, DescHandler> ph = o.handlersOver(ownHandle(parent).descHandlers);
      p = (ImmutableHandle) get(parent.id(), RefOptions.noUpdateLastUsed(), RefOptions.descHandlers(ph));
      try {
        finalizeRecord(p.rec);
        String pid = p.id();
        ids = ChainPair.of(p.rec.md).orElseThrow(
            () -> new InvalidRefException("failed to get ref by blob on non-addressable parent " + pid))
            .then(desc.digest(), diffId);
        handlers = o.handlersOver(p.descHandlers);
      } catch (RuntimeException e) {
        p.release();
        throw e;
      }
    }
    ImmutableHandle result;
    mu.lock();
    try {
      ensureOpen();
      CacheRecord same = firstLoadable(MetadataKeys.INDEX_BLOB_CHAIN_ID + ids.blobChainId(), handlers);
      if (same != null) {
        applyImageRefs(same, o.imageRefs());
        result = newImmutableHandle(same, !o.noUpdateLastUsed(), handlers);
        if (p != null) {
          releaseImmutableLocked(p);
        }
      } else {
        CacheRecord link = firstLoadable(MetadataKeys.INDEX_CHAIN_ID + ids.chainId(), handlers);
        String snapshotId = link == null ? ids.chainId().toString() : link.md.getString(MetadataKeys.SNAPSHOT);
        String id = newId();
        StorageItem md = store.get(id);
        if (p != null) {
          md.queueString(MetadataKeys.PARENT, p.rec.id, null);
        }
        initializeMetadata(md, o);
        queueImageRefs(md, o.imageRefs());
        md.queueString(MetadataKeys.DIFF_ID, diffId.toString(), null);
        md.queueString(MetadataKeys.BLOB, desc.digest().toString(), null);
        ids.queueInto(md);
        md.queueString(MetadataKeys.SNAPSHOT, snapshotId, null);
        md.queueValue(MetadataKeys.BLOB_ONLY, Value.of(true));
        md.queueString(MetadataKeys.MEDIA_TYPE, desc.mediaType(), null);
        md.queueValue(MetadataKeys.BLOB_SIZE, Value.of(desc.size()));
        if (!desc.urls().isEmpty()) {
          md.queueValue(MetadataKeys.URLS, Value.of(desc.urls()));
        }
        md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
        md.queueString(MetadataKeys.LAYER_DIR, layout.relative(layers.dir(diffId)), null);
        DescHandler dh = handlers.get(desc.digest());
        if (dh != null && dh.ref() != null) {
          md.queueString(MetadataKeys.REMOTE, dh.ref(), null);
        }
        md.commit();
        CacheRecord rec = new CacheRecord(id, md, false, p == null ? Parents.NONE : new Parents.Layer(p),
            layers.dir(diffId));
        records.put(id, rec);
        result = newImmutableHandle(rec, !o.noUpdateLastUsed(), handlers);
      }
    } catch (RuntimeException e) {
      if (p != null && !p.released) {
        releaseImmutableLocked(p);
      }
      throw e;
    } finally {
      mu.unlock();
    }
    if (o.unlazy()) {
      try {
        result.extract();
      } catch (RuntimeException e) {
        result.release();
        throw e;
      }
    }
    return result;
  }

  private CacheRecord firstLoadable(String index, Map<Digest, DescHandler> handlers) {
    for (StorageItem item : store.search(index, false)) {
      try {
        return getRecord(item.id(), handlers, true);
      } catch (NotFoundException e) {
        continue;
      } catch (NeedsRemoteProviderException e) {
        LOG.debug("skipping {} for {}: {}", item.id(), index, Printable.line(e.getMessage()));
      }
    }
    return null;
  }

  /** Metadata of the records indexed under {@code index} (spec 2.20), sorted by ID. */
  public List<RefMetadata> search(String index, boolean prefixOnly) {
    mu.lock();
    try {
      ensureOpen();
      List<RefMetadata> out = new ArrayList<>();
      for (StorageItem item : store.search(index, prefixOnly)) {
        if (item.getBool(MetadataKeys.DELETED)) {
          continue;
        }
        try {
          out.add(new RecordMetadata(this, getRecord(item.id(), Map.of(), false)));
        } catch (CacheException e) {
          LOG.debug("search {}: skipping {}: {}", index, item.id(), Printable.line(e.getMessage()));
        }
      }
      return out;
    } finally {
      mu.unlock();
    }
  }

  /** Every live record, sorted by ID. */
  public List<RecordInfo> records() {
    mu.lock();
    try {
      ensureOpen();
      return records.values().stream().filter(r -> !r.isDead()).sorted((a, b) -> a.id.compareTo(b.id))
          .map(this::infoOf).toList();
    } finally {
      mu.unlock();
    }
  }

  /** One record; NotFoundException when unknown. Does not count as a use. */
  public RecordInfo info(String id) {
    mu.lock();
    try {
      ensureOpen();
      return infoOf(getRecord(id, Map.of(), false));
    } finally {
      mu.unlock();
    }
  }

  /**
   * Whether a read-only mount of {@code id} would first have to fetch or unpack a layer of its
   * chain (so it may take long), without doing it. A mutable record answers for its parents.
   *
   * @throws NotFoundException if there is no such record
   */
  public boolean needsExtract(String id) {
    CacheRecord rec;
    mu.lock();
    try {
      ensureOpen();
      rec = getRecord(id, Map.of(), false);
    } finally {
      mu.unlock();
    }
    // As in extractRecord, outside the lock: the answer is a snapshot either way.
    return needsExtract(rec);
  }

  private boolean needsExtract(CacheRecord rec) {
    for (ImmutableHandle p : rec.parents.handles()) {
      if (needsExtract(p.rec)) {
        return true;
      }
    }
    Digest blob = blobOf(rec);
    if (blob == null || rec.mutable) {
      return false;
    }
    return rec.isBlobOnly() || !layers.isUnpacked(diffIdOf(rec));
  }

  private RecordInfo infoOf(CacheRecord r) {
    RecordMetadata m = new RecordMetadata(this, r);
    Digest blob = blobOf(r);
    Digest diffId = diffIdOf(r);
    boolean blobOnly = r.isBlobOnly();
    return new RecordInfo(r.id, r.kind(), r.mutable, !r.refs.isEmpty(), r.refs.size(), m.description(),
        m.recordType(), m.createdAt(), m.lastUsedAt().orElse(null), m.usageCount(),
        r.parents.handles().stream().map(h -> h.rec.id).toList(), blobOnly,
        blobOnly && blob != null && !blobIsLocal(blob), blob == null ? null : blob.toString(),
        diffId == null ? null : diffId.toString(), r.md.getString(MetadataKeys.CHAIN_ID), r.isRetain(),
        r.equalMutable == null ? null : r.equalMutable.rec.id,
        r.equalImmutable == null ? null : r.equalImmutable.id);
  }

  // ---------------------------------------------------------------------------------------------
  // handles

  private ImmutableHandle newImmutableHandle(CacheRecord rec, boolean triggerLastUsed,
      Map<Digest, DescHandler> handlers) {
    ImmutableHandle h = new ImmutableHandle(this, rec, triggerLastUsed, handlers);
    rec.refs.add(h);
    return h;
  }

  /** The manager's own handle type for {@code ref}; foreign implementations are refused. */
  private RefHandle ownHandle(Ref ref) {
    if (ref instanceof RefHandle h && h.cm == this) {
      return h;
    }
    throw new InvalidRefException("ref " + ref.id() + " does not belong to this cache manager");
  }

  ImmutableRef cloneHandle(RefHandle h) {
    mu.lock();
    try {
      ensureOpen();
      if (h.rec.isDead()) {
        throw new NotFoundException("failed to clone dead record " + h.rec.id);
      }
      // A released handle may still be cloned while its record lives (BuildKit quirk 11, kept).
      return newImmutableHandle(h.rec, false, h.descHandlers);
    } finally {
      mu.unlock();
    }
  }

  void releaseImmutable(ImmutableHandle h) {
    mu.lock();
    try {
      releaseImmutableLocked(h);
    } finally {
      mu.unlock();
    }
  }

  private void releaseImmutableLocked(ImmutableHandle h) {
    if (h.released) {
      return;
    }
    h.released = true;
    CacheRecord rec = h.rec;
    rec.refs.remove(h);
    // A twin about to go with its default-policy mutable needs no last-used write.
    boolean goesNow = rec.refs.isEmpty() && rec.equalMutable != null && !rec.isRetain()
        && !rec.equalMutable.rec.isRetain();
    if (h.triggerLastUsed && !rec.anyHandleTriggersLastUsed() && !goesNow) {
      updateLastUsed(rec);
      if (rec.equalMutable != null) {
        rec.equalMutable.triggerLastUsed = true;
      }
    }
    if (rec.refs.isEmpty()) {
      if (rec.equalMutable != null) {
        releaseMutableLocked(rec.equalMutable);
      } else {
        rec.tree = null;
      }
    }
  }

  /** A user releasing a mutable: no-op once the handle belongs to a committed twin. */
  void releaseMutableByUser(MutableHandle h) {
    mu.lock();
    try {
      if (h.released || (h.rec.equalImmutable != null && h.rec.equalImmutable.equalMutable == h)) {
        return;
      }
      releaseMutableLocked(h);
    } finally {
      mu.unlock();
    }
  }

  /** Spec 2.13, mutable handle. */
  private void releaseMutableLocked(MutableHandle h) {
    h.released = true;
    CacheRecord rec = h.rec;
    rec.refs.remove(h);
    if (rec.dead) {
      return;
    }
    if (!rec.isRetain()) {
      CacheRecord twin = rec.equalImmutable;
      if (twin != null && twin.isRetain()) {
        if (h.triggerLastUsed) {
          updateLastUsed(rec);
        }
        return;
      }
      if (twin != null) {
        removeRecord(twin, false);
        twin.equalMutable = null;
        rec.equalImmutable = null;
      }
      removeRecord(rec, true);
    } else if (h.triggerLastUsed) {
      updateLastUsed(rec);
    }
  }

  ImmutableRef commit(MutableHandle h) {
    ImmutableHandle twin;
    OverlayTree tree;
    mu.lock();
    try {
      ensureOpen();
      twin = commitLocked(h);
      tree = h.rec.tree;
    } finally {
      mu.unlock();
    }
    // Outside the manager lock: freezing waits for writes in flight (a copy-up may copy a whole file),
    // which must not stall every other caller of the manager.
    if (tree instanceof WritableOverlayTree w) {
      w.freeze();
    }
    return twin;
  }

  /** Spec 2.8: a new immutable twin sharing the mutable's upper; nothing is copied. */
  private ImmutableHandle commitLocked(MutableHandle h) {
    CacheRecord rec = h.rec;
    if (h.released || !rec.refs.contains(h) || rec.dead) {
      throw new InvalidRefException("cannot commit " + rec.id + ": the handle is released");
    }
    if (!rec.mutable) {
      throw new InvalidRefException(rec.id + " is not mutable");
    }
    if (rec.equalImmutable != null) {
      throw new InvalidRefException(rec.id + " is already committed as " + rec.equalImmutable.id);
    }
    String id = newId();
    Parents parents = Parents.NONE;
    if (rec.parents instanceof Parents.Layer l) {
      parents = new Parents.Layer(newImmutableHandle(l.parent().rec, false, l.parent().descHandlers));
    }
    try {
      StorageItem md = store.get(id);
      if (parents instanceof Parents.Layer l) {
        md.queueString(MetadataKeys.PARENT, l.parent().rec.id, null);
      }
      md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
      md.queueValue(MetadataKeys.COMMITTED, Value.of(true));
      md.queueValue(MetadataKeys.SIZE, Value.of(-1L));
      md.queueString(MetadataKeys.SNAPSHOT, id, null);
      md.queueString(MetadataKeys.EQUAL_MUTABLE, rec.id, null);
      md.queueString(MetadataKeys.LAYER_DIR, layout.relative(rec.layerDir), null);
      // From now on the directory is the twin's data too: children stack on it, and finalize's crash
      // recovery (spec case 13) recognizes the twin by it.
      ensureDirectory(rec.layerDir);
      copyValue(rec.md, md, MetadataKeys.DESCRIPTION);
      copyValue(rec.md, md, MetadataKeys.RECORD_TYPE);
      copyValue(rec.md, md, MetadataKeys.IMAGE_REFS);
      md.commit();
      CacheRecord twin = new CacheRecord(id, md, false, parents, rec.layerDir);
      twin.equalMutable = h;
      rec.equalImmutable = twin;
      records.put(id, twin);
      return newImmutableHandle(twin, true, h.descHandlers);
    } catch (RuntimeException e) {
      releaseParents(parents);
      throw e;
    }
  }

  private static void copyValue(StorageItem from, StorageItem to, String key) {
    Value v = from.get(key);
    if (v != null) {
      to.queueValue(key, v);
    }
  }

  boolean isCommitted(MutableHandle h) {
    mu.lock();
    try {
      return h.rec.equalImmutable != null && !h.rec.equalImmutable.dead;
    } finally {
      mu.unlock();
    }
  }

  /**
   * Spec 1.4 Finalize: the twin takes over the mutable's data; the mutable record goes. The mutable's
   * metadata is cleared before the twin's link, so a crash in between leaves a state that loads as a
   * finalized record (spec case 13).
   */
  void finalizeRecord(CacheRecord rec) {
    mu.lock();
    try {
      ensureOpen();
      if (rec.isDead()) {
        throw new NotFoundException("cannot finalize " + rec.id + ": the record is gone");
      }
      MutableHandle mh = rec.equalMutable;
      if (mh == null) {
        return;
      }
      CacheRecord mrec = mh.rec;
      mrec.dead = true;
      records.remove(mrec.id);
      store.clear(mrec.id);
      mrec.refs.clear();
      mh.released = true;
      releaseParents(mrec.parents);
      rec.md.setValue(MetadataKeys.EQUAL_MUTABLE, null);
      rec.equalMutable = null;
      mrec.equalImmutable = null;
    } finally {
      mu.unlock();
    }
  }

  Optional<RefMetadata> equalMutableMetadata(CacheRecord rec) {
    mu.lock();
    try {
      MutableHandle mh = rec.equalMutable;
      return mh == null ? Optional.empty() : Optional.of(new RecordMetadata(this, mh.rec));
    } finally {
      mu.unlock();
    }
  }

  /** Clones of the layer chain, bottom to top (spec 1.5 layerWalk). */
  List<ImmutableRef> layerChain(ImmutableHandle h) {
    mu.lock();
    try {
      ensureOpen();
      List<CacheRecord> walk = new ArrayList<>();
      layerWalk(h.rec, walk);
      List<ImmutableRef> out = new ArrayList<>();
      for (CacheRecord r : walk) {
        out.add(newImmutableHandle(r, false, h.descHandlers));
      }
      return out;
    } finally {
      mu.unlock();
    }
  }

  private static void layerWalk(CacheRecord r, List<CacheRecord> out) {
    switch (r.kind()) {
      case BASE_LAYER -> out.add(r);
      case LAYER -> {
        layerWalk(((Parents.Layer) r.parents).parent().rec, out);
        out.add(r);
      }
      case MERGE -> {
        for (ImmutableHandle p : r.parents.handles()) {
          layerWalk(p.rec, out);
        }
      }
      case DIFF -> {
        Parents.Diff d = (Parents.Diff) r.parents;
        if (d.lower() == null && d.upper() != null && d.upper().rec.kind() == RefKind.BASE_LAYER) {
          out.add(d.upper().rec);
        } else if (d.upper() != null && d.lower() != null && d.upper().rec.parents instanceof Parents.Layer l
            && l.parent().rec.id.equals(d.lower().rec.id)) {
          out.add(d.upper().rec);
        } else {
          out.add(r);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // data: extract, mount, size, file list

  void extract(ImmutableHandle h) {
    requireLive(h);
    extractRecord(h.rec, h.descHandlers);
  }

  /** Refuses work through a released handle (except a twin's committing handle) or on a gone record. */
  private void requireLive(RefHandle h) {
    mu.lock();
    try {
      ensureOpen();
      if (h.released && !(h.rec.equalImmutable != null && h.rec.equalImmutable.equalMutable == h)) {
        throw new InvalidRefException("cannot use " + h.rec.id + ": the handle is released");
      }
      if (h.rec.isDead()) {
        throw new NotFoundException("record " + h.rec.id + " is gone");
      }
    } finally {
      mu.unlock();
    }
  }

  /**
   * Materializes every lazy layer below and including {@code rec}: fetch the blob once per digest,
   * unpack once per diffID (spec 2.14, 6.3). Runs outside the manager lock.
   */
  private void extractRecord(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    for (ImmutableHandle p : rec.parents.handles()) {
      extractRecord(p.rec, RefOptions.merge(handlers, p.descHandlers));
    }
    Digest blob = blobOf(rec);
    if (blob == null || rec.mutable) {
      return;
    }
    Digest diffId = diffIdOf(rec);
    boolean needed = rec.isBlobOnly() || !layers.isUnpacked(diffId);
    if (!needed) {
      return;
    }
    try {
      unlazies.run(rec.id, () -> {
        if (!rec.isBlobOnly() && layers.isUnpacked(diffId)) {
          return;
        }
        Descriptor desc = descriptorOf(rec);
        ensureBlobLocal(rec, desc, handlers);
        String mediaType = desc.mediaType();
        layers.ensureUnpacked(diffId, mediaType, () -> content.open(blob));
        mu.lock();
        try {
          // Under the lock: a record removed meanwhile must not get a partial item back.
          if (rec.isBlobOnly() && !rec.dead) {
            rec.md.queueValue(MetadataKeys.BLOB_ONLY, Value.of(false));
            rec.md.queueValue(MetadataKeys.SIZE, Value.of(-1L));
            rec.md.commit();
          }
        } finally {
          mu.unlock();
        }
      });
    } catch (IOException e) {
      throw new CacheException("cannot unpack layer " + diffId + " of " + rec.id + ": " + e.getMessage(), e);
    }
  }

  /** Fetches a lazy blob into the content store, once per digest however many callers wait. */
  private void ensureBlobLocal(CacheRecord rec, Descriptor desc, Map<Digest, DescHandler> handlers)
      throws IOException {
    Digest blob = desc.digest();
    if (blobIsLocal(blob)) {
      return;
    }
    fetches.run(blob, () -> {
      if (blobIsLocal(blob)) {
        return;
      }
      DescHandler dh = providerFor(rec, blob, handlers);
      if (dh == null) {
        throw new NeedsRemoteProviderException(List.of(blob));
      }
      LOG.info("fetching {} for {}", blob, rec.id);
      try (InputStream in = dh.provider().open(desc)) {
        content.ingest("fetch-" + blob.encoded(), in, desc.size(), blob,
            Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)));
      }
      if (rec.md.getString(MetadataKeys.DESCRIPTION) == null && !rec.dead) {
        List<String> refs = rec.md.getStringList(MetadataKeys.IMAGE_REFS);
        if (refs != null && !refs.isEmpty()) {
          rec.md.setValue(MetadataKeys.DESCRIPTION, Value.of("pulled from " + refs.get(0)));
        }
      }
    });
  }

  /** Spec 2.12: the record's tree; see {@link Ref#mount}. */
  OverlayTree mount(RefHandle h, boolean readOnly) {
    CacheRecord rec = h.rec;
    // Immutable trees are always read-only here, so mounting never finalizes (BuildKit finalizes only
    // for a read-write mount): an idle twin can still be un-committed after being read.
    requireLive(h);
    if (!rec.mutable && h instanceof ImmutableHandle ih) {
      extractRecord(ih.rec, ih.descHandlers);
    } else {
      for (ImmutableHandle p : rec.parents.handles()) {
        extractRecord(p.rec, RefOptions.merge(h.descHandlers, p.descHandlers));
      }
    }
    mu.lock();
    try {
      ensureOpen();
      if (h.released && !(rec.equalImmutable != null && rec.equalImmutable.equalMutable == h)) {
        throw new InvalidRefException("cannot mount " + rec.id + ": the handle is released");
      }
      if (rec.dead) {
        throw new NotFoundException("record " + rec.id + " is gone");
      }
      if (rec.mutable) {
        ensureDirectory(rec.layerDir);
        List<Path> below = parentDirs(rec);
        ensureUppers(below);
        List<Path> lowers = topFirst(below);
        if (readOnly) {
          List<Path> all = new ArrayList<>();
          all.add(rec.layerDir);
          all.addAll(lowers);
          return new OverlayTree(all);
        }
        if (rec.tree == null) {
          WritableOverlayTree w = new WritableOverlayTree(rec.layerDir, lowers);
          if (rec.equalImmutable != null) {
            w.freeze();
          }
          rec.tree = w;
        }
        return rec.tree;
      }
      if (rec.tree == null) {
        List<Path> dirs = layerDirs(rec);
        ensureUppers(dirs);
        rec.tree = new OverlayTree(topFirst(dirs));
      }
      return rec.tree;
    } finally {
      mu.unlock();
    }
  }

  /** Uppers of mutables that were never mounted have no directory yet; a tree needs every layer. */
  private void ensureUppers(List<Path> dirs) {
    for (Path d : dirs) {
      if (d.startsWith(layout.uppers())) {
        ensureDirectory(d);
      }
    }
  }

  private static void ensureDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new CacheException("cannot create upper directory " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<Path> topFirst(List<Path> bottomUp) {
    List<Path> l = new ArrayList<>(bottomUp);
    java.util.Collections.reverse(l);
    return l;
  }

  private static List<Path> parentDirs(CacheRecord rec) {
    List<Path> out = new ArrayList<>();
    for (ImmutableHandle p : rec.parents.handles()) {
      out.addAll(layerDirs(p.rec));
    }
    return out;
  }

  /** The layer directories of the record's tree, bottom to top, without duplicates. */
  private static List<Path> layerDirs(CacheRecord rec) {
    if (rec.kind() == RefKind.DIFF) {
      throw new InvalidRefException("diff ref " + rec.id + " cannot be served as a tree yet");
    }
    LinkedHashSet<Path> out = new LinkedHashSet<>(parentDirs(rec));
    if (rec.layerDir != null) {
      // A layer repeated higher up wins: move it to the top.
      out.remove(rec.layerDir);
      out.add(rec.layerDir);
    }
    return new ArrayList<>(out);
  }

  /** Bytes the record occupies: blob-only records count only their blob (spec 4.2). */
  long size(CacheRecord rec) {
    try {
      long total = 0;
      Digest blob = blobOf(rec);
      if (blob != null) {
        Optional<ContentInfo> info = content.info(blob);
        total += info.map(ContentInfo::size).orElse(0L);
      }
      if (rec.isBlobOnly()) {
        return total;
      }
      Digest diffId = diffIdOf(rec);
      if (diffId != null && blob != null) {
        total += layers.isUnpacked(diffId) ? layers.diskBytes(diffId) : 0;
      } else if (rec.layerDir != null && Files.isDirectory(rec.layerDir)) {
        total += FileTrees.diskBytes(rec.layerDir);
      }
      return total;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names in the record's own blob (spec 2.17), cached as the external value {@code filelist}. */
  List<String> fileList(ImmutableHandle h) {
    CacheRecord rec = h.rec;
    Digest blob = blobOf(rec);
    if (blob == null) {
      return List.of();
    }
    List<String>[] out = new List[1];
    try {
      fileLists.run(rec.id, () -> {
        byte[] cached = rec.md.getExternal(FILE_LIST);
        if (cached != null) {
          out[0] = JSON.readValue(cached, new TypeReference<List<String>>() {});
          return;
        }
        Descriptor desc = descriptorOf(rec);
        ensureBlobLocal(rec, desc, h.descHandlers);
        List<String> names;
        try (InputStream in = content.open(blob)) {
          names = TarLister.list(in, desc.mediaType());
        }
        rec.md.setExternal(FILE_LIST, JSON.writeValueAsBytes(names));
        out[0] = names;
      });
    } catch (IOException e) {
      throw new CacheException("cannot list files of " + rec.id + ": " + e.getMessage(), e);
    }
    if (out[0] == null) {
      byte[] cached = rec.md.getExternal(FILE_LIST);
      try {
        return cached == null ? List.of() : JSON.readValue(cached, new TypeReference<List<String>>() {});
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return List.copyOf(out[0]);
  }

  /**
   * Spec 6.4 setBlob: records {@code desc} as the blob of a record that has none (the blob must be in
   * the content store), then its chain IDs when the parent has them.
   */
  void setBlob(ImmutableHandle h, Descriptor desc) {
    String diffIdText = desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION);
    if (diffIdText == null) {
      throw new InvalidRefException("missing uncompressed annotation for " + desc.digest());
    }
    Digest diffId = Digest.parse(diffIdText);
    if (!blobIsLocal(desc.digest())) {
      throw new NotFoundException("blob " + desc.digest() + " is not in the content store");
    }
    finalizeRecord(h.rec);
    mu.lock();
    try {
      CacheRecord rec = h.rec;
      if (blobOf(rec) != null) {
        return;
      }
      StorageItem md = rec.md;
      md.queueString(MetadataKeys.DIFF_ID, diffId.toString(), null);
      md.queueString(MetadataKeys.BLOB, desc.digest().toString(), null);
      md.queueString(MetadataKeys.MEDIA_TYPE, desc.mediaType(), null);
      md.queueValue(MetadataKeys.BLOB_SIZE, Value.of(desc.size()));
      Optional<ChainPair> ids = Optional.empty();
      if (rec.parents instanceof Parents.None) {
        ids = Optional.of(ChainPair.base(desc.digest(), diffId));
      } else if (rec.parents instanceof Parents.Layer l) {
        ids = ChainPair.of(l.parent().rec.md).map(pp -> pp.then(desc.digest(), diffId));
      }
      if (ids.isPresent() && md.getString(MetadataKeys.CHAIN_ID) == null) {
        ids.get().queueInto(md);
      }
      md.commit();
    } finally {
      mu.unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // removal

  /** Drops a record: metadata and parent handles; a mutable's upper goes too when {@code removeData}. */
  private void removeRecord(CacheRecord rec, boolean removeData) {
    if (rec.dead) {
      return;
    }
    rec.dead = true;
    records.remove(rec.id);
    store.clear(rec.id);
    releaseParents(rec.parents);
    if (removeData && rec.mutable && rec.layerDir != null) {
      Path dir = rec.layerDir;
      reaper.execute(() -> deleteQuietly(dir));
    }
  }

  private void releaseParents(Parents parents) {
    for (ImmutableHandle h : parents.handles()) {
      releaseImmutableLocked(h);
    }
  }

  private void purge(String id) {
    store.clear(id);
  }

  // ---------------------------------------------------------------------------------------------
  // metadata helpers

  private void initializeMetadata(StorageItem md, RefOptions.Parsed o) {
    if (md.getLong(MetadataKeys.CREATED_AT, 0) != 0) {
      return;
    }
    md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
    for (RefOption opt : o.initializers()) {
      if (opt instanceof RefOption.Description d) {
        md.queueString(MetadataKeys.DESCRIPTION, d.text(), null);
      } else if (opt instanceof RefOption.RecordType t) {
        md.queueString(MetadataKeys.RECORD_TYPE, t.type(), null);
      } else if (opt instanceof RefOption.CreationTime c) {
        md.queueValue(MetadataKeys.CREATED_AT, Value.of(RecordMetadata.instantToNanos(c.time())));
      } else if (opt instanceof RefOption.CachePolicy p) {
        md.queueValue(MetadataKeys.CACHE_POLICY,
            Value.of(p.retain() ? MetadataKeys.POLICY_RETAIN : MetadataKeys.POLICY_DEFAULT));
      }
    }
  }

  private static void queueImageRefs(StorageItem md, List<String> refs) {
    if (refs.isEmpty()) {
      return;
    }
    List<String> current = md.getStringList(MetadataKeys.IMAGE_REFS);
    LinkedHashSet<String> set = new LinkedHashSet<>(current == null ? List.of() : current);
    if (set.addAll(refs)) {
      md.queueValue(MetadataKeys.IMAGE_REFS, Value.of(new ArrayList<>(set)));
    }
  }

  private static void applyImageRefs(CacheRecord rec, List<String> refs) {
    if (!refs.isEmpty()) {
      queueImageRefs(rec.md, refs);
      rec.md.commit();
    }
  }

  private void updateLastUsed(CacheRecord rec) {
    if (rec.dead) {
      return;
    }
    rec.md.queueValue(MetadataKeys.USAGE_COUNT, Value.of(rec.md.getLong(MetadataKeys.USAGE_COUNT, 0) + 1));
    rec.md.queueValue(MetadataKeys.LAST_USED_AT, Value.of(RecordMetadata.instantToNanos(clock.instant())));
    rec.md.commit();
  }

  /** A 25-character base-36 random ID, like BuildKit's identity.NewID. */
  private String newId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    String s = new java.math.BigInteger(1, b).toString(36);
    return "0".repeat(Math.max(0, 25 - s.length())) + s;
  }

  /** Open handles of a record, for tests and diagnostics. */
  int handleCount(String id) {
    mu.lock();
    try {
      CacheRecord r = records.get(id);
      return r == null ? 0 : r.refs.size();
    } finally {
      mu.unlock();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cache manager is closed");
    }
  }

  /** Waits for pending data removal, flushes and closes the metadata store. Idempotent. */
  @Override
  public void close() {
    mu.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      mu.unlock();
    }
    reaper.shutdown();
    try {
      if (!reaper.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("data removal still running at close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    env.close();
  }

  // ---------------------------------------------------------------------------------------------
  // file helpers

  private static void deleteQuietly(Path p) {
    try {
      FileTrees.deleteRecursively(p);
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", Printable.name(p), Printable.line(e.toString()));
    }
  }
}
