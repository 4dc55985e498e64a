package org.refcache.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.MutableRef;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.Ref;
import org.refcache.core.cache.RefOption;
import org.refcache.core.cache.RefOptions;
import org.refcache.core.cache.WorkLease;
import org.refcache.core.layer.LayerImporter;
import org.refcache.core.layer.RefusedLayerException;
import org.refcache.posix.FileNames;
import org.refcache.posix.Printable;
import org.refcache.protocol.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.refcache.fuse.MountPrivileges;

/**
 * The operations behind the {@code refcache} command: refs the service creates and holds for its
 * clients and their paths in the FUSE view; bind mounts of them are {@link BindMounts}. What an ID
 * stands for is decided by {@link HeldHandles#serve}. Every operation that changes what the service holds runs under one lock and
 * happens whole or not at all: it happens when the held set is written (so the client never sees an ID a
 * restart would forget), what it did before that is undone when the write fails, and what a daemon killed
 * before it left is undone at the next start ({@link Leftovers}). See docs/DURABILITY.md.
 */
public final class RefService {
  private static final Logger LOG = LoggerFactory.getLogger(RefService.class);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final CacheManager cache;
  private final HeldHandles held;
  private final LayerImporter importer;
  private final Path mountpoint;
  private final MountTargets targets;
  private final Consumer<String> invalidator;
  private final ReentrantLock lock = new ReentrantLock();
  private final BindMounts mounts;
  private volatile LongConsumer importListener = bytes -> { };

  /**
   * @param targets where bind mounts may not go
   * @param invalidator tells the FUSE view that what it shows for an ID changed; called without the lock
   */
  public RefService(CacheManager cache, HeldHandles held, Path mountpoint, MountTargets targets,
      Consumer<String> invalidator) {
    this.cache = cache;
    this.held = held;
    this.importer = new LayerImporter(cache.contentStore(), cache.layerLimits());
    this.mountpoint = mountpoint;
    this.targets = targets;
    this.invalidator = invalidator;
    this.mounts = new BindMounts(cache, held, targets, lock, this::treePath, held::persist);
  }

  /** {@code listener} hears the size of every layer imported (the GC policy runs after large imports). */
  public void onImport(LongConsumer listener) {
    this.importListener = listener;
  }

  /** Where the FUSE view shows {@code id}. */
  public Path treePath(String id) {
    return mountpoint.resolve("refs").resolve(id);
  }

  // ---- creating refs ---------------------------------------------------------------------------
  //
  // Each change happens when the held state is written (HeldHandles). What comes before that write is
  // undone when it fails; what comes after it cannot make the request fail. Metadata is flushed before
  // the state names a record, so the state never names a record a power cut could take back.

  /**
   * Stores a local layer tarball and makes a lazy immutable ref of it over {@code parent} (may be null).
   */
  public String importLayer(Path file, String parent, String description, LayerImporter.Progress progress)
      throws IOException {
    if (parent != null) {
      held.serve(requireId(parent));
    }
    // The blob is stored before a record names it: the lease keeps a collection from taking it.
    try (WorkLease lease = cache.lease()) {
      return importLeased(file, parent, description, progress);
    }
  }

  private String importLeased(Path file, String parent, String description, LayerImporter.Progress progress)
      throws IOException {
    if (parent != null) {
      ImageRequests.giveBlobs(readHandle(parent)); // a built parent has none until asked (spec 6.4)
    }
    LayerImporter.Imported layer = ingest(file, progress);
    cache.forgetUnpackFailure(layer.blob()); // the operator gave the blob again: try it again
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      ImmutableRef p = parent == null ? null : parentHandle(parent);
      ImmutableRef ref;
      try {
        String text = description != null ? description : "import " + file.getFileName();
        ref = cache.getByBlob(Descriptor.layer(layer.mediaType(), layer.blob(), layer.size(), layer.diffId()), p,
            RefOptions.description(text));
      } finally {
        if (p != null) {
          p.release();
        }
      }
      if (held.holds(ref.id())) {
        ref.release(); // imported before and still held: the one handle the service has is enough
      } else {
        holdOrDiscard(ref, () -> held.hold(ref));
      }
      changed.add(ref.id());
      LOG.info("imported {} ({} {}) as {}", Printable.text(file.toString()), layer.mediaType(), layer.blob(),
          ref.id());
      importListener.accept(layer.size());
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /**
   * Checks and stores the layer tarball {@code file} (read once; see {@link LayerImporter}).
   *
   * @throws NoSuchFileException when {@code file} does not exist
   * @throws ControlException (usage) when it is not a regular file, (other) when it is not a layer
   *     tar or a layer the unpacker would refuse, with the reason
   */
  private LayerImporter.Imported ingest(Path file, LayerImporter.Progress progress) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new ControlException(ErrorKind.USAGE, file + " is not a regular file");
    }
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return importer.ingest(in, size, file.toString(), progress);
    } catch (RefusedLayerException e) {
      throw new ControlException(ErrorKind.OTHER, e.getMessage());
    }
  }

  /** A new mutable ref over {@code parent} (may be null), held by the service. */
  public String newRef(String parent, String description, boolean retain) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      List<RefOption> opts = new ArrayList<>();
      if (description != null) {
        opts.add(RefOptions.description(description));
      }
      if (retain) {
        opts.add(RefOptions.retain());
      }
      ImmutableRef p = parent == null ? null : parentHandle(parent);
      MutableRef ref;
      try {
        ref = cache.newRef(p, opts.toArray(RefOption[]::new));
      } finally {
        if (p != null) {
          p.release();
        }
      }
      holdOrDiscard(ref, () -> held.hold(ref));
      changed.add(ref.id());
      LOG.info("new mutable ref {} over {}", ref.id(), parent);
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /**
   * A merge of what {@code ids} stand for, in order (spec 5.1), held by the service as an import is.
   * Metadata only: the union is resolved when the view first reads it. One ID gives that ref itself.
   */
  public String merge(List<String> ids, String description) throws IOException {
    if (ids.isEmpty()) {
      throw new ControlException(ErrorKind.USAGE, "merge needs at least one ref ID");
    }
    ids.forEach(RefService::requireId);
    String text = description != null ? description : "merge \"" + String.join("\" \"", ids) + "\"";
    return derive("merged " + ids, inputs -> cache.merge(inputs, RefOptions.description(text)), ids);
  }

  /**
   * The diff from what {@code lower} stands for to what {@code upper} stands for (spec 5.2), held by
   * the service as an import is. Metadata only: a change set is worked out when the view first reads it.
   */
  public String diff(String lower, String upper, String description) throws IOException {
    requireId(lower);
    requireId(upper);
    String text = description != null ? description : "diff \"" + lower + "\" -> \"" + upper + "\"";
    return derive("diffed " + lower + " -> " + upper,
        inputs -> cache.diff(inputs.get(0), inputs.get(1), RefOptions.description(text)), List.of(lower, upper));
  }

  /** Makes a ref of the refs {@code ids} stand for with {@code make}, and holds it. */
  private String derive(String what, Function<List<ImmutableRef>, ImmutableRef> make,
      List<String> ids) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      List<ImmutableRef> inputs = new ArrayList<>();
      ImmutableRef ref;
      try {
        for (String id : ids) {
          inputs.add(parentHandle(id));
        }
        ref = make.apply(inputs);
      } finally {
        inputs.forEach(ImmutableRef::release);
      }
      if (held.holds(ref.id())) {
        ref.release(); // one ref merged with nothing else, held already: that ref itself
      } else {
        holdOrDiscard(ref, () -> held.hold(ref));
      }
      changed.add(ref.id());
      LOG.info("{} as {}", what, ref.id());
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /** A change to the held state that may fail. */
  private interface StateChange {
    void run() throws IOException;
  }

  /**
   * Flushes the metadata of the record {@code ref} just made, then holds it with {@code hold}; when either
   * fails the record is discarded (nobody was told of it) and the failure thrown.
   */
  private void holdOrDiscard(Ref ref, StateChange hold) throws IOException {
    try {
      cache.sync();
      hold.run();
    } catch (IOException | RuntimeException e) {
      try {
        cache.discard(ref);
      } catch (RuntimeException d) {
        e.addSuppressed(d);
        LOG.warn("cannot discard {} after a failed request ({}); the next start does", ref.id(), d.toString());
      }
      throw e;
    }
  }

  /**
   * A handle to what {@code id} stands for, for use as a parent: a committed mutable's ID stands for its
   * twin; a mutable the service holds cannot be a parent until it is committed.
   */
  private ImmutableRef parentHandle(String id) {
    ServedRef served = held.serve(requireId(id));
    if (served instanceof ServedRef.Writable) {
      throw new ControlException(ErrorKind.LOCKED,
          id + " is a mutable ref held by the service: commit it and use the committed ID as parent");
    }
    // An idle mutable nobody holds is committed on the spot by get (BuildKit quirk 4).
    return cache.get(served.readOnlyRecord().orElse(id), RefOptions.noUpdateLastUsed());
  }

  /**
   * Commits the mutable {@code id} the service holds; the service holds the immutable twin instead, and
   * {@code id} stands for the twin from now on. Happens whole or not at all: the twin is made (the
   * mutable's tree freezes), flushed, and recorded in the held state; when that fails the twin goes and
   * the tree is writable again. Only then is the commit finalized.
   */
  public String commit(String id) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      ServedRef served = held.serve(requireId(id));
      if (!(served instanceof ServedRef.Writable w)) {
        if (served instanceof ServedRef.ReadOnly r && r.standsForTwin()) {
          throw new ControlException(ErrorKind.LOCKED, id + " is already committed as " + r.recordId());
        }
        throw new ControlException(ErrorKind.USAGE, id + " is not a mutable ref held by the service");
      }
      changed.add(id);
      ImmutableRef twin = w.handle().commit();
      try {
        cache.sync();
        held.recordCommit(w.handle(), twin);
      } catch (IOException | RuntimeException e) {
        undoCommit(id, twin, e);
        throw e;
      }
      changed.add(twin.id());
      // The service never un-commits: finalize, so the committed data belongs to the twin for good. Left
      // as a twin, it would go with the mutable when the twin's last handle is released (spec 2.13).
      finalizeLater(twin);
      LOG.info("committed {} as {}", id, twin.id());
      return twin.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /** Takes back a commit the service could not record: the twin goes, the mutable is writable again. */
  private void undoCommit(String id, ImmutableRef twin, Exception cause) {
    try {
      if (!cache.discard(twin)) {
        LOG.error("the commit of {} as {} could not be taken back: the twin has other handles", id, twin.id());
      }
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
      LOG.error("cannot take back the commit of {} as {} ({}); the next start does", id, twin.id(), e.toString());
    }
  }

  /**
   * Finalizes a twin whose commit is recorded. A failure does not undo the commit: the twin stays
   * unfinalized and held, and is finalized before its release and at the next start.
   */
  private static void finalizeLater(ImmutableRef twin) {
    try {
      twin.finalizeRef();
    } catch (CacheException e) {
      LOG.warn("cannot finalize {} now ({}); it is finalized before its release or at the next start",
          twin.id(), e.getMessage());
    }
  }

  /**
   * Drops the service's handle to what {@code id} stands for: a held mutable, a held immutable, or the
   * twin a committed mutable's ID stands for. Happens whole or not at all: the held state is written
   * first; what follows it cannot fail the request.
   */
  public void release(String id) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      ServedRef served = held.serve(requireId(id));
      if (served instanceof ServedRef.Writable w) {
        releaseMutable(w);
      } else if (served instanceof ServedRef.ReadOnly r && held.immutable(r.recordId()).isPresent()) {
        ImmutableRef h = held.immutable(r.recordId()).get();
        // A twin not finalized yet would take its mutable's data along with its last handle (spec 2.13).
        h.finalizeRef();
        held.dropImmutable(r.recordId());
        releaseRecorded(h);
      } else {
        String standsFor = served instanceof ServedRef.ReadOnly r && r.standsForTwin()
            ? " (committed as " + r.recordId() + ")" : "";
        throw new ControlException(ErrorKind.NOT_FOUND, "the service holds no handle to " + id + standsFor);
      }
      changed.add(id);
      LOG.info("released {}", id);
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  private void releaseMutable(ServedRef.Writable w) throws IOException {
    String id = w.id();
    List<HeldHandles.ActiveMount> mounts = held.mountsOf(id);
    if (!mounts.isEmpty()) {
      throw new ControlException(ErrorKind.LOCKED, id + " is bind-mounted at " + mounts.get(0).dir()
          + "; umount it first");
    }
    // Written first: a kill after it leaves a mutable nothing holds, which the next start drops when it
    // has the default policy, as this release would have (Leftovers), and keeps when retained.
    held.dropMutable(id);
    releaseRecorded(w.handle());
  }

  /** Releases a handle the held state no longer names; the release is done, whatever fails now. */
  private static void releaseRecorded(Ref handle) {
    try {
      handle.release();
    } catch (RuntimeException e) {
      LOG.warn("released {}, but dropping its handle failed ({}); the next start finishes it", handle.id(),
          e.toString());
    }
  }

  // ---- views -----------------------------------------------------------------------------------

  /**
   * {@code <mountpoint>/refs/<id>} of an ID the view serves (a committed mutable's ID shows its twin's
   * tree).
   */
  public Path path(String id) {
    if (held.serve(requireId(id)) instanceof ServedRef.Unserved) {
      throw new ControlException(ErrorKind.NOT_FOUND, id + " is a mutable ref nobody holds: the view does not"
          + " show it");
    }
    return treePath(id);
  }

  /** Every record as the service shows it, sorted by ID, to {@code sink} a chunk at a time. */
  public void list(Consumer<RefView> sink) {
    cache.eachRecord(r -> sink.accept(view(r)));
  }

  /** The record {@code id} stands for: its own, or for a committed mutable's ID, its twin's. */
  public RefView describe(String id) {
    ServedRef served = held.serve(requireId(id));
    return view(cache.info(served.readOnlyRecord().orElse(id)));
  }

  /**
   * The names in the ref's own layer blob as byte strings ({@link FileNames}), sorted (spec 2.17:
   * this layer's changes, whiteouts included, not the whole tree); empty for a ref without a blob.
   * Does not count as a use.
   */
  public List<String> files(String id) {
    ServedRef served = held.serve(requireId(id));
    String target = served.readOnlyRecord().orElseThrow(() -> new ControlException(
        served instanceof ServedRef.Writable ? ErrorKind.LOCKED : ErrorKind.USAGE,
        id + " is a mutable ref: only committed refs have a file list"));
    try (ImmutableRef r = cache.get(target, RefOptions.noUpdateLastUsed())) {
      return r.fileList();
    }
  }

  private RefView view(RecordInfo r) {
    List<String> mounts = held.mountsOf(r.id()).stream().map(m -> m.dir().toString()).sorted().toList();
    return RefView.of(r, held.holds(r.id()), treePath(r.id()).toString(), mounts);
  }

  static String requireId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new ControlException(ErrorKind.USAGE, "not a ref ID: " + id);
    }
    return id;
  }

  // ---- bind mounts (BindMounts, under this service's lock) ------------------------------------

  /** See {@link BindMounts#mount}. */
  public HeldHandles.ActiveMount mount(String id, Path dir, boolean readOnly, MountPrivileges granted)
      throws IOException {
    return mounts.mount(id, dir, readOnly, granted);
  }

  /** See {@link BindMounts#umount}. */
  public HeldHandles.ActiveMount umount(Path dir) throws IOException {
    return mounts.umount(dir);
  }

  /** See {@link BindMounts#restoreMounts}. */
  public void restoreMounts() {
    mounts.restoreMounts();
  }

  /** See {@link BindMounts#detachMounts}. */
  public void detachMounts() {
    mounts.detachMounts();
  }

  // ---- for ImageRequests (export, import-oci) --------------------------------------------------

  CacheManager cache() {
    return cache;
  }

  /** A handle to the immutable ref {@code id} stands for; the caller releases it. */
  ImmutableRef readHandle(String id) {
    lock.lock();
    try {
      return parentHandle(requireId(id));
    } finally {
      lock.unlock();
    }
  }

  /** Holds the ref {@code ref} just made (released instead when held already), as an import does. */
  String holdNew(ImmutableRef ref, String what) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      if (held.holds(ref.id())) {
        ref.release();
      } else {
        holdOrDiscard(ref, () -> held.hold(ref));
      }
      changed.add(ref.id());
      LOG.info("{} as {}", what, ref.id());
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private void saveState() throws IOException {
    held.persist();
  }

  private void invalidate(Set<String> ids) {
    for (String id : ids) {
      try {
        invalidator.accept(id);
      } catch (RuntimeException e) {
        LOG.warn("cannot invalidate {} in the FUSE view: {}", id, Printable.line(e.toString()));
        LOG.debug("invalidate failure", e);
      }
    }
  }
}
