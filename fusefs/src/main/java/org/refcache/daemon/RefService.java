package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.MutableRef;
import org.refcache.core.cache.NotFoundException;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.RefOption;
import org.refcache.core.cache.RefOptions;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.refcache.fuse.MountTable;

/**
 * The operations behind the {@code refcache} command: refs the service creates and holds for its
 * clients, their paths in the FUSE view and bind mounts of them. Every operation that changes what the
 * service holds runs under one lock and saves the held set before it returns, so the client never sees
 * an ID a restart would forget.
 */
public final class RefService {
  private static final Logger LOG = LoggerFactory.getLogger(RefService.class);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final CacheManager cache;
  private final HeldHandles held;
  private final LayerImporter importer;
  private final Path mountpoint;
  private final Consumer<String> invalidator;
  private final ReentrantLock lock = new ReentrantLock();

  /**
   * @param invalidator tells the FUSE view that what it shows for an ID changed; called without the lock
   */
  public RefService(CacheManager cache, HeldHandles held, Path mountpoint, Consumer<String> invalidator) {
    this.cache = cache;
    this.held = held;
    this.importer = new LayerImporter(cache.contentStore());
    this.mountpoint = mountpoint;
    this.invalidator = invalidator;
  }

  /** Where the FUSE view shows {@code id}. */
  public Path treePath(String id) {
    return mountpoint.resolve("refs").resolve(id);
  }

  // ---- creating refs ---------------------------------------------------------------------------

  /**
   * Stores a local layer tarball and makes a lazy immutable ref of it over {@code parent} (may be null).
   */
  public String importLayer(Path file, String parent, String description, LayerImporter.Progress progress)
      throws IOException {
    if (parent != null) {
      info(parent);
    }
    LayerImporter.Imported layer = importer.ingest(file, progress);
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      ImmutableRef p = parent == null ? null : parentHandle(parent);
      ImmutableRef ref;
      try {
        String text = description != null ? description : "import " + file.getFileName();
        ref = cache.getByBlob(layer.descriptor(), p, RefOptions.description(text));
      } finally {
        if (p != null) {
          p.release();
        }
      }
      boolean fresh = held.immutable(ref.id()).isEmpty();
      held.holdImmutable(ref);
      if (fresh) {
        persistOrRelease(() -> {
          held.dropImmutable(ref.id());
          ref.release();
        });
      }
      changed.add(ref.id());
      LOG.info("imported {} ({} {}) as {}", Printable.text(file.toString()), layer.mediaType(), layer.blob(),
          ref.id());
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
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
      held.holdMutable(ref);
      persistOrRelease(() -> {
        held.dropMutable(ref.id());
        ref.release();
      });
      changed.add(ref.id());
      LOG.info("new mutable ref {} over {}", ref.id(), parent);
      return ref.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /**
   * A handle to {@code id} for use as a parent. A committed mutable stands for its twin; a mutable the
   * service holds cannot be a parent until it is committed (see {@link ServiceTreeSource}).
   */
  private ImmutableRef parentHandle(String id) {
    Optional<HeldHandles.Committed> committed = held.committedMutable(id);
    if (committed.isPresent()) {
      // The service finalizes at commit: the mutable's ID now stands for its twin.
      return cache.get(committed.get().twinId(), RefOptions.noUpdateLastUsed());
    }
    RecordInfo info = info(id);
    String target = id;
    if (info.mutable()) {
      if (info.equalImmutable() != null) {
        target = info.equalImmutable();
      } else if (held.mutable(id).isPresent()) {
        throw new ControlException(ErrorKind.LOCKED,
            id + " is a mutable ref held by the service: commit it and use the committed ID as parent");
      }
    }
    return cache.get(target, RefOptions.noUpdateLastUsed());
  }

  /** Commits the mutable {@code id} the service holds; the service holds the immutable twin instead. */
  public String commit(String id) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      requireId(id);
      MutableRef m = held.mutable(id).orElse(null);
      if (m == null) {
        Optional<HeldHandles.Committed> done = held.committedMutable(id);
        if (done.isPresent()) {
          throw new ControlException(ErrorKind.LOCKED, id + " is already committed as " + done.get().twinId());
        }
        RecordInfo info = info(id);
        if (info.mutable() && info.equalImmutable() != null) {
          throw new ControlException(ErrorKind.LOCKED, id + " is already committed as " + info.equalImmutable());
        }
        throw new ControlException(ErrorKind.USAGE, id + " is not a mutable ref held by the service");
      }
      ImmutableRef twin = m.commit();
      // The service never un-commits: finalize at once, so the committed data belongs to the twin for
      // good. Left as a twin, it would go with the mutable when the service's handle is released
      // (spec 2.13) unless something happened to read it first.
      twin.finalizeRef();
      held.committed(m, twin);
      for (HeldHandles.ActiveMount am : held.mountsOf(id)) {
        // The bind used the service's mutable handle, which now belongs to the twin: the mount holds the
        // twin instead, and is listed (and re-made after a restart) as a mount of the twin.
        held.addMount(new HeldHandles.ActiveMount(am.dir(), twin.id(), am.readOnly(), twin.cloneRef()));
      }
      saveState();
      changed.add(id);
      changed.add(twin.id());
      LOG.info("committed {} as {}", id, twin.id());
      return twin.id();
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /** Drops the service's handle to {@code id}. */
  public void release(String id) throws IOException {
    Set<String> changed = new LinkedHashSet<>();
    lock.lock();
    try {
      requireId(id);
      if (held.immutable(id).isPresent()) {
        held.dropImmutable(id).release();
      } else if (held.mutable(id).isPresent()) {
        List<HeldHandles.ActiveMount> mounts = held.mountsOf(id);
        if (!mounts.isEmpty()) {
          throw new ControlException(ErrorKind.LOCKED, id + " is bind-mounted at " + mounts.get(0).dir()
              + "; umount it first");
        }
        held.dropMutable(id).release();
      } else if (held.committedMutable(id).isPresent()) {
        throw new ControlException(ErrorKind.NOT_FOUND, id + " was committed as "
            + held.committedMutable(id).get().twinId() + "; the service holds that ID now");
      } else {
        info(id);
        throw new ControlException(ErrorKind.NOT_FOUND, "the service holds no handle to " + id);
      }
      changed.add(id);
      changed.addAll(forgetGoneCommits());
      saveState();
      LOG.info("released {}", id);
    } finally {
      lock.unlock();
      invalidate(changed);
    }
  }

  /** Committed mutables whose twin is gone: forgotten and returned (their view must go too). */
  private List<String> forgetGoneCommits() {
    List<String> gone = new ArrayList<>();
    for (Map.Entry<String, HeldHandles.Committed> e : held.committedMutables().entrySet()) {
      boolean alive;
      try {
        cache.info(e.getValue().twinId());
        alive = true;
      } catch (NotFoundException ex) {
        alive = false;
      }
      if (!alive) {
        held.forgetCommitted(e.getKey());
        gone.add(e.getKey());
      }
    }
    return gone;
  }

  // ---- views -----------------------------------------------------------------------------------

  /** {@code <mountpoint>/refs/<id>} of an existing ref. */
  public Path path(String id) {
    requireId(id);
    if (held.committedMutable(id).isEmpty()) {
      info(id);
    }
    return treePath(id);
  }

  public List<RefView> list() {
    return cache.records().stream().map(this::view).toList();
  }

  public RefView describe(String id) {
    return view(info(id));
  }

  /**
   * The names in the ref's own layer blob as byte strings ({@link FileNames}), sorted (spec 2.17:
   * this layer's changes, whiteouts included, not the whole tree); empty for a ref without a blob.
   * Does not count as a use.
   */
  public List<String> files(String id) {
    requireId(id);
    String target = held.committedMutable(id).map(HeldHandles.Committed::twinId).orElse(id);
    try (ImmutableRef r = cache.get(target, RefOptions.noUpdateLastUsed())) {
      return r.fileList();
    }
  }

  private RefView view(RecordInfo r) {
    List<String> mounts = held.mountsOf(r.id()).stream().map(m -> m.dir().toString()).sorted().toList();
    return RefView.of(r, held.holds(r.id()), treePath(r.id()).toString(), mounts);
  }

  private RecordInfo info(String id) {
    requireId(id);
    return cache.info(id);
  }

  private static void requireId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new ControlException(ErrorKind.USAGE, "not a ref ID: " + id);
    }
  }

  // ---- bind mounts -----------------------------------------------------------------------------

  /**
   * Bind-mounts the tree of {@code id} onto the directory {@code dir}, holding a handle while mounted.
   * A mutable the service holds is mounted through the service's handle (writable unless
   * {@code readOnly}), and cannot be released while mounted.
   */
  public HeldHandles.ActiveMount mount(String id, Path dir, boolean readOnly) throws IOException {
    requireId(id);
    Path target = directory(dir);
    lock.lock();
    try {
      HeldHandles.ActiveMount m = bind(id, target, readOnly);
      try {
        saveState();
      } catch (IOException | RuntimeException e) {
        unbind(m, e);
        throw e;
      }
      LOG.info("bind-mounted {} at {}{}", id, Printable.text(target.toString()), readOnly ? " (read-only)" : "");
      return m;
    } finally {
      lock.unlock();
    }
  }

  private static Path directory(Path dir) throws IOException {
    if (!dir.isAbsolute()) {
      throw new ControlException(ErrorKind.USAGE, "not an absolute path: " + dir);
    }
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString());
    }
    if (!Files.isDirectory(dir)) {
      throw new ControlException(ErrorKind.USAGE, dir + " is not a directory");
    }
    return dir.toRealPath();
  }

  /** Makes one bind mount and records it (caller holds the lock). */
  private HeldHandles.ActiveMount bind(String id, Path target, boolean readOnly) throws IOException {
    held.mountAt(target).ifPresent(m -> {
      throw new ControlException(ErrorKind.USAGE, target + " already has " + m.id() + " mounted");
    });
    if (MountTable.isMountPoint(target)) {
      throw new ControlException(ErrorKind.USAGE, target + " is a mount point already");
    }
    ImmutableRef handle = null;
    String source = id;
    if (held.mutable(id).isEmpty()) {
      // Anything but a mutable the service holds is mounted through an immutable handle; a committed
      // mutable through its twin, which owns the data for good once finalized.
      Optional<HeldHandles.Committed> committed = held.committedMutable(id);
      if (committed.isPresent()) {
        source = committed.get().twinId();
      } else {
        RecordInfo info = info(id);
        if (info.mutable()) {
          if (info.equalImmutable() == null) {
            throw new ControlException(ErrorKind.USAGE, id + " is a mutable ref the service does not hold");
          }
          source = info.equalImmutable();
        }
      }
      handle = cache.get(source);
    }
    try {
      Path tree = treePath(source);
      if (!Files.isDirectory(tree)) {
        throw new ControlException(ErrorKind.NOT_FOUND, tree + " is not shown by the FUSE view");
      }
      Posix.bindMount(tree, bytesOf(target), readOnly);
    } catch (IOException | RuntimeException e) {
      if (handle != null) {
        handle.release();
      }
      throw e;
    }
    HeldHandles.ActiveMount m = new HeldHandles.ActiveMount(target, source, readOnly, handle);
    held.addMount(m);
    return m;
  }

  private void unbind(HeldHandles.ActiveMount m, Exception cause) {
    held.removeMount(m.dir());
    try {
      Posix.umount(bytesOf(m.dir()), Posix.MNT_DETACH);
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
    if (m.handle() != null) {
      m.handle().release();
    }
  }

  /** Unmounts a bind mount made by {@link #mount} and releases its handle. */
  public HeldHandles.ActiveMount umount(Path dir) throws IOException {
    if (!dir.isAbsolute()) {
      throw new ControlException(ErrorKind.USAGE, "not an absolute path: " + dir);
    }
    Path target = dir.normalize();
    try {
      target = dir.toRealPath();
    } catch (IOException e) {
      // A mount whose FUSE side is gone cannot be resolved; its recorded path is what counts.
    }
    lock.lock();
    try {
      Path t = target;
      HeldHandles.ActiveMount m = held.mountAt(t).orElseThrow(
          () -> new ControlException(ErrorKind.NOT_FOUND, t + " is not a refcache mount"));
      try {
        Posix.umount(bytesOf(t), 0);
      } catch (IOException e) {
        int errno = ErrnoMapper.toErrno(e);
        if (errno == Errno.EBUSY) {
          throw new ControlException(ErrorKind.LOCKED, t + " is busy: " + e.getMessage());
        }
        if (errno != Errno.EINVAL) {
          throw e;
        }
        LOG.info("{} was not mounted any more", Printable.text(t.toString()));
      }
      held.removeMount(t);
      if (m.handle() != null) {
        m.handle().release();
      }
      saveState();
      LOG.info("unmounted {} from {}", m.id(), Printable.text(t.toString()));
      return m;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Re-makes the bind mounts the state file lists (at start, once the FUSE view answers). A stale mount
   * left at a target by a crash is detached first; a mount that cannot be re-made is logged and dropped.
   */
  public void restoreMounts() throws IOException {
    lock.lock();
    try {
      List<ServiceState.BindMount> pending = held.takePendingMounts();
      for (ServiceState.BindMount b : pending) {
        Path target = Path.of(b.dir());
        try {
          MountTable.detachAt(target);
          bind(b.id(), directory(target), b.readOnly());
        } catch (IOException | CacheException | ControlException e) {
          LOG.warn("cannot restore the bind mount of {} at {}: {}", Printable.text(b.id()),
              Printable.text(target.toString()), Printable.line(e.getMessage()));
        }
      }
      if (!pending.isEmpty()) {
        saveState();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Detaches every bind mount at shutdown. Their handles are not released and their entries stay in the
   * state file: the next start makes them again.
   */
  public void detachMounts() {
    lock.lock();
    try {
      for (HeldHandles.ActiveMount m : held.mounts()) {
        try {
          Posix.umount(bytesOf(m.dir()), Posix.MNT_DETACH);
        } catch (IOException e) {
          LOG.warn("cannot detach {}: {}", Printable.text(m.dir().toString()), Printable.line(e.getMessage()));
        }
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private void saveState() throws IOException {
    held.persist();
  }

  /** Saves the held set; when that fails, undoes the change the caller just made and rethrows. */
  private void persistOrRelease(Runnable undo) throws IOException {
    try {
      held.persist();
    } catch (IOException | RuntimeException e) {
      undo.run();
      throw e;
    }
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

  /**
   * A directory a client named (text, like every path in a request) as {@link Posix} takes it:
   * the bytes of its UTF-8 form ({@link FileNames}).
   */
  private static Path bytesOf(Path dir) {
    return Path.of(FileNames.fromText(dir.toString()));
  }
}
