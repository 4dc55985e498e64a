package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.MutableRef;
import org.refcache.fuse.MountPrivileges;
import org.refcache.core.cache.NotFoundException;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.RefOptions;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handles the service keeps for its clients: refs made by {@code import}, {@code new} and
 * {@code commit} until {@code release}, the mutables it committed (their IDs stand for their twins), and
 * the handles behind bind mounts until {@code umount}; and the one decision of what an ID stands for
 * ({@link #serve}).
 *
 * <p>A change to the held refs happens when {@link ServiceState} is written: each change method writes the
 * state as it will be, and only then changes what is held in memory; when the write fails nothing has
 * changed and the caller undoes what it did before (see {@link RefService}). A restart re-acquires the
 * same set ({@link #restore}) and finishes or undoes what a daemon killed in the middle of a request left
 * ({@link Leftovers}).
 *
 * <p>Changes happen under {@link RefService}'s lock. The held refs are one immutable {@link Refs} value
 * replaced at each change, so FUSE threads read a consistent set without the lock.
 */
public final class HeldHandles {
  private static final Logger LOG = LoggerFactory.getLogger(HeldHandles.class);

  /**
   * A bind mount the service made.
   *
   * @param dir the target directory
   * @param id the ref mounted
   * @param readOnly whether the bind is read-only
   * @param privileges whether setuid bits and device nodes take effect through it
   * @param handle the handle the mount holds, or null when it uses the service's mutable handle of {@code id}
   */
  public record ActiveMount(Path dir, String id, boolean readOnly, MountPrivileges privileges,
                            ImmutableRef handle) {
    /** The same mount, now of {@code newId} through {@code newHandle}. */
    public ActiveMount withRef(String newId, ImmutableRef newHandle) {
      return new ActiveMount(dir, newId, readOnly, privileges, newHandle);
    }
  }

  /**
   * The held refs at one moment.
   *
   * @param twins committed mutable ID to its twin's ID
   */
  private record Refs(Map<String, ImmutableRef> immutables, Map<String, MutableRef> mutables,
      Map<String, String> twins) {
    static final Refs NONE = new Refs(Map.of(), Map.of(), Map.of());

    Refs withImmutable(ImmutableRef ref) {
      return new Refs(put(immutables, ref.id(), ref), mutables, twins);
    }

    Refs withoutImmutable(String id) {
      return new Refs(remove(immutables, id), mutables, twins);
    }

    Refs withMutable(MutableRef ref) {
      return new Refs(immutables, put(mutables, ref.id(), ref), twins);
    }

    Refs withoutMutable(String id) {
      return new Refs(immutables, remove(mutables, id), twins);
    }

    /** {@code mutable} committed as {@code twin}: the twin is held, the mutable's ID stands for it. */
    Refs committed(MutableRef mutable, ImmutableRef twin) {
      return new Refs(put(immutables, twin.id(), twin), remove(mutables, mutable.id()),
          put(twins, mutable.id(), twin.id()));
    }

    Refs withTwin(String mutableId, String twinId) {
      return new Refs(immutables, mutables, put(twins, mutableId, twinId));
    }

    private static <V> Map<String, V> put(Map<String, V> m, String k, V v) {
      Map<String, V> c = new HashMap<>(m);
      c.put(k, v);
      return Map.copyOf(c);
    }

    private static <V> Map<String, V> remove(Map<String, V> m, String k) {
      Map<String, V> c = new HashMap<>(m);
      c.remove(k);
      return Map.copyOf(c);
    }
  }

  private final CacheManager cache;
  private final Path file;
  private volatile Refs refs = Refs.NONE;
  private final Map<Path, ActiveMount> mounts = new ConcurrentHashMap<>();
  /** Bind mounts read from the state file and not re-made yet. */
  private final List<ServiceState.BindMount> pendingMounts = new ArrayList<>();

  private HeldHandles(CacheManager cache, Path file) {
    this.cache = cache;
    this.file = file;
  }

  /**
   * Loads the state file under {@code root} and re-acquires its refs: immutables with {@code get}, mutables
   * with {@code getMutable} (so a mutable made with {@code new} is writable again, and a commit whose state
   * was never written is undone: {@code getMutable} drops the idle twin). Commits recorded but not
   * finalized are finalized. A ref that cannot be re-acquired is logged and dropped; records a request
   * cut short left are discarded ({@link Leftovers}). Bind mounts are left for {@link #takePendingMounts}.
   */
  public static HeldHandles restore(CacheManager cm, Path root) throws IOException {
    HeldHandles h = new HeldHandles(cm, root.resolve(ServiceState.FILE));
    ServiceState.discardUnfinishedSave(h.file);
    Instant fileTime = Files.exists(h.file) ? Files.getLastModifiedTime(h.file).toInstant() : null;
    ServiceState s = ServiceState.load(h.file);
    // Its own stamp where it has one (the file's time is the kernel's coarse clock's).
    Instant written = fileTime == null || s.writtenAt() == null ? fileTime : s.writtenAt();
    boolean dropped = false;
    Refs r = Refs.NONE;
    for (String id : s.immutables()) {
      ImmutableRef ref;
      try {
        ref = cm.get(id);
      } catch (CacheException e) {
        LOG.warn("dropping held ref {}: {}", Printable.text(id), Printable.line(e.getMessage()));
        dropped = true;
        continue;
      }
      r = r.withImmutable(ref);
      finalizeQuietly(ref);
    }
    for (String id : s.mutables()) {
      try {
        r = r.withMutable(cm.getMutable(id));
      } catch (CacheException e) {
        LOG.warn("dropping held mutable ref {}: {}", Printable.text(id), Printable.line(e.getMessage()));
        dropped = true;
      }
    }
    for (ServiceState.Committed c : s.committed()) {
      if (finalizeTwin(cm, c)) {
        r = r.withTwin(c.mutable(), c.twin());
      } else {
        dropped = true;
      }
    }
    h.refs = r;
    h.pendingMounts.addAll(s.mounts());
    if (written != null) {
      Leftovers.discard(cm, h.referencedIds(), written);
    } else {
      // From now on the file exists, so a later start can tell a lost state file from a first start.
      dropped = true;
    }
    if (dropped) {
      try {
        h.persist();
      } catch (IOException e) {
        LOG.warn("cannot write {} at start: {}", h.file, e.getMessage());
      }
    }
    LOG.info("holding {} immutable and {} mutable refs, {} committed mutable IDs, {} bind mounts to restore",
        r.immutables().size(), r.mutables().size(), r.twins().size(), h.pendingMounts.size());
    return h;
  }

  /**
   * Finalizes a held ref in case it is the twin of a commit the state recorded but a daemon killed before
   * finalizing did not (a no-op for any other ref): the twin must own the data for good.
   */
  private static void finalizeQuietly(ImmutableRef ref) {
    try {
      ref.finalizeRef();
    } catch (CacheException e) {
      LOG.warn("cannot finalize {} at start ({}); it is finalized before its release", ref.id(), e.getMessage());
    }
  }

  /** Finalizes the twin a committed mutable stands for; false when the twin is gone. */
  private static boolean finalizeTwin(CacheManager cm, ServiceState.Committed c) {
    ImmutableRef twin;
    try {
      twin = cm.get(c.twin(), RefOptions.noUpdateLastUsed());
    } catch (NotFoundException e) {
      LOG.info("forgetting committed mutable {}: its twin {} is gone", c.mutable(), c.twin());
      return false;
    } catch (CacheException e) {
      LOG.warn("committed mutable {}: its twin {} cannot be read now: {}", c.mutable(), c.twin(), e.getMessage());
      return true;
    }
    try {
      twin.finalizeRef();
    } catch (CacheException e) {
      // Unfinalized, the twin's last handle would take the mutable's data along: keep this one.
      LOG.warn("committed mutable {}: cannot finalize its twin {} ({}); holding it until the next start",
          c.mutable(), c.twin(), e.getMessage());
      return true;
    }
    twin.release();
    return true;
  }

  /** Every ID the held state names: held refs, twins, committed mutables, bind mounts made or to make. */
  private Set<String> referencedIds() {
    Refs r = refs;
    Set<String> ids = new HashSet<>(r.immutables().keySet());
    ids.addAll(r.mutables().keySet());
    ids.addAll(r.twins().keySet());
    ids.addAll(r.twins().values());
    mounts.values().forEach(m -> ids.add(m.id()));
    pendingMounts.forEach(m -> ids.add(m.id()));
    return ids;
  }

  // ---- what an ID stands for (any thread) --------------------------------------------------------

  /**
   * What {@code id} stands for. A mutable the service holds is {@link ServedRef.Writable}; a mutable the
   * service committed stands for its twin ({@link ServedRef.ReadOnly}), and so does any mutable with a
   * twin; an immutable answers for itself, unless it is the twin of a mutable the service still holds
   * (a commit in progress, which may be undone); a mutable nobody holds without a twin is
   * {@link ServedRef.Unserved}.
   *
   * @throws NotFoundException when no record has that ID and it is no committed mutable's
   */
  public ServedRef serve(String id) {
    Refs r = refs;
    ServedRef held = heldAs(r, id);
    return held != null ? held : classify(r, cache.info(id));
  }

  /** Every ID the FUSE view lists under {@code /refs}: records with something to serve, committed mutables. */
  public List<String> servedIds() {
    Refs r = refs;
    Set<String> ids = new TreeSet<>(r.twins().keySet());
    for (RecordInfo info : cache.records()) {
      if (!(classify(r, info) instanceof ServedRef.Unserved)) {
        ids.add(info.id());
      }
    }
    return List.copyOf(ids);
  }

  private static ServedRef heldAs(Refs r, String id) {
    MutableRef own = r.mutables().get(id);
    if (own != null) {
      return new ServedRef.Writable(id, own);
    }
    String twin = r.twins().get(id);
    return twin == null ? null : new ServedRef.ReadOnly(id, twin);
  }

  private static ServedRef classify(Refs r, RecordInfo info) {
    String id = info.id();
    ServedRef held = heldAs(r, id);
    if (held != null) {
      return held;
    }
    if (info.mutable()) {
      return info.equalImmutable() == null ? new ServedRef.Unserved(id) : new ServedRef.ReadOnly(id, info.equalImmutable());
    }
    if (info.equalMutable() != null && r.mutables().containsKey(info.equalMutable())) {
      return new ServedRef.Unserved(id);
    }
    return new ServedRef.ReadOnly(id, id);
  }

  // ---- lookups (any thread) --------------------------------------------------------------------

  public Optional<ImmutableRef> immutable(String id) {
    return Optional.ofNullable(refs.immutables().get(id));
  }

  public Optional<MutableRef> mutable(String id) {
    return Optional.ofNullable(refs.mutables().get(id));
  }

  /** Whether the service holds a handle to {@code id} for a client. */
  public boolean holds(String id) {
    Refs r = refs;
    return r.immutables().containsKey(id) || r.mutables().containsKey(id);
  }

  public Optional<ActiveMount> mountAt(Path dir) {
    return Optional.ofNullable(mounts.get(dir));
  }

  /** The bind mounts of {@code id}. */
  public List<ActiveMount> mountsOf(String id) {
    return mounts.values().stream().filter(m -> m.id().equals(id)).toList();
  }

  public List<ActiveMount> mounts() {
    return List.copyOf(mounts.values());
  }

  // ---- changes to the held refs (under the service lock): written first, then made ----------------

  /** Holds {@code ref}, which the service does not hold yet. */
  void hold(ImmutableRef ref) throws IOException {
    change(refs.withImmutable(ref));
  }

  /** Holds the new mutable {@code ref}. */
  void hold(MutableRef ref) throws IOException {
    change(refs.withMutable(ref));
  }

  /**
   * {@code mutable} was committed as {@code twin}: the service holds the twin from now on, the mutable's
   * ID stands for it, and bind mounts of the mutable (which used the service's mutable handle) hold the
   * twin instead and are listed (and re-made after a restart) as mounts of the twin.
   */
  void recordCommit(MutableRef mutable, ImmutableRef twin) throws IOException {
    List<ActiveMount> moved = new ArrayList<>();
    Map<Path, ActiveMount> nextMounts = new HashMap<>(mounts);
    try {
      for (ActiveMount am : mountsOf(mutable.id())) {
        ActiveMount m = am.withRef(twin.id(), twin.cloneRef());
        moved.add(m);
        nextMounts.put(m.dir(), m);
      }
      Refs next = refs.committed(mutable, twin);
      save(next, nextMounts.values());
      refs = next;
    } catch (IOException | RuntimeException e) {
      moved.forEach(m -> m.handle().release());
      throw e;
    }
    moved.forEach(m -> mounts.put(m.dir(), m));
  }

  /** Stops holding the immutable {@code id} and returns its handle, for the caller to release. */
  ImmutableRef dropImmutable(String id) throws IOException {
    ImmutableRef ref = refs.immutables().get(id);
    change(refs.withoutImmutable(id));
    return ref;
  }

  /** Stops holding the mutable {@code id} and returns its handle, for the caller to release. */
  MutableRef dropMutable(String id) throws IOException {
    MutableRef ref = refs.mutables().get(id);
    change(refs.withoutMutable(id));
    return ref;
  }

  private void change(Refs next) throws IOException {
    save(next, mounts.values());
    refs = next;
  }

  // ---- bind mounts (under the service lock): changed in memory, then persisted --------------------

  void addMount(ActiveMount m) {
    mounts.put(m.dir(), m);
  }

  ActiveMount removeMount(Path dir) {
    return mounts.remove(dir);
  }

  /** The bind mounts the state file listed at start, once. */
  List<ServiceState.BindMount> takePendingMounts() {
    List<ServiceState.BindMount> l = List.copyOf(pendingMounts);
    pendingMounts.clear();
    return l;
  }

  /** Writes the held set to the state file (atomically). */
  void persist() throws IOException {
    save(refs, mounts.values());
  }

  private void save(Refs r, Collection<ActiveMount> withMounts) throws IOException {
    List<ServiceState.BindMount> m = new ArrayList<>();
    for (ActiveMount a : withMounts.stream().sorted(Comparator.comparing(ActiveMount::dir)).toList()) {
      m.add(new ServiceState.BindMount(a.dir().toString(), a.id(), a.readOnly(), a.privileges().setuid(),
          a.privileges().devices()));
    }
    m.addAll(pendingMounts);
    List<ServiceState.Committed> committed = r.twins().entrySet().stream()
        .map(e -> new ServiceState.Committed(e.getKey(), e.getValue()))
        .sorted(Comparator.comparing(ServiceState.Committed::mutable)).toList();
    new ServiceState(ServiceState.FORMAT, r.immutables().keySet().stream().sorted().toList(),
        r.mutables().keySet().stream().sorted().toList(), m, committed).save(file);
  }
}
