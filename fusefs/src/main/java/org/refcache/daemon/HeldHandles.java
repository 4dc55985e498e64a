package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.MutableRef;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handles the service keeps for its clients: refs made by {@code import}, {@code new} and
 * {@code commit} until {@code release}, and the handles behind bind mounts until {@code umount}. Every
 * change is written to {@link ServiceState} before the client hears of it, so a restart re-acquires the
 * same set ({@link #restore}).
 *
 * <p>Changes happen under {@link RefService}'s lock; the maps are concurrent so that FUSE threads can
 * look handles up without it.
 */
public final class HeldHandles {
  private static final Logger LOG = LoggerFactory.getLogger(HeldHandles.class);

  /**
   * A bind mount the service made.
   *
   * @param dir the target directory
   * @param id the ref mounted
   * @param readOnly whether the bind is read-only
   * @param handle the handle the mount holds, or null when it uses the service's mutable handle of {@code id}
   */
  public record ActiveMount(Path dir, String id, boolean readOnly, ImmutableRef handle) {}

  /**
   * A mutable the service committed.
   *
   * @param handle the committing handle: it belongs to the twin now, and its tree is frozen
   * @param twinId the immutable twin, which keeps the data once the mutable record is finalized
   */
  public record Committed(MutableRef handle, String twinId) {}

  private final Path file;
  private final Map<String, ImmutableRef> immutables = new ConcurrentHashMap<>();
  private final Map<String, MutableRef> mutables = new ConcurrentHashMap<>();
  /** Mutables the service committed, by mutable ID; kept while the twin lives to serve the frozen tree. */
  private final Map<String, Committed> committed = new ConcurrentHashMap<>();
  private final Map<Path, ActiveMount> mounts = new ConcurrentHashMap<>();
  /** Bind mounts read from the state file and not re-made yet. */
  private final List<ServiceState.BindMount> pendingMounts = new ArrayList<>();

  private HeldHandles(Path file) {
    this.file = file;
  }

  /**
   * Loads the state file under {@code root} and re-acquires its refs: immutables with {@code get}, mutables
   * with {@code getMutable} (so a mutable made with {@code new} is writable again). A ref that cannot be
   * re-acquired is logged and dropped. Bind mounts are left for {@link #takePendingMounts}.
   */
  public static HeldHandles restore(CacheManager cm, Path root) throws IOException {
    HeldHandles h = new HeldHandles(root.resolve(ServiceState.FILE));
    ServiceState s = ServiceState.load(h.file);
    boolean dropped = false;
    for (String id : s.immutables()) {
      try {
        h.immutables.put(id, cm.get(id));
      } catch (CacheException e) {
        LOG.warn("dropping held ref {}: {}", Printable.text(id), Printable.line(e.getMessage()));
        dropped = true;
      }
    }
    for (String id : s.mutables()) {
      try {
        h.mutables.put(id, cm.getMutable(id));
      } catch (CacheException e) {
        LOG.warn("dropping held mutable ref {}: {}", Printable.text(id), Printable.line(e.getMessage()));
        dropped = true;
      }
    }
    h.pendingMounts.addAll(s.mounts());
    if (dropped) {
      h.persist();
    }
    LOG.info("holding {} immutable and {} mutable refs, {} bind mounts to restore", h.immutables.size(),
        h.mutables.size(), h.pendingMounts.size());
    return h;
  }

  // ---- lookups (any thread) --------------------------------------------------------------------

  public Optional<ImmutableRef> immutable(String id) {
    return Optional.ofNullable(immutables.get(id));
  }

  public Optional<MutableRef> mutable(String id) {
    return Optional.ofNullable(mutables.get(id));
  }

  /** A mutable the service committed, while its twin lives (not across restarts). */
  public Optional<Committed> committedMutable(String id) {
    return Optional.ofNullable(committed.get(id));
  }

  /** IDs of the mutables the service committed and still knows of. */
  public List<String> committedIds() {
    return List.copyOf(committed.keySet());
  }

  /** Whether the service holds a handle to {@code id} for a client. */
  public boolean holds(String id) {
    return immutables.containsKey(id) || mutables.containsKey(id);
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

  // ---- changes (under the service lock) ---------------------------------------------------------

  /** Holds {@code ref}; when {@code ref}'s ID is held already the new handle is released instead. */
  void holdImmutable(ImmutableRef ref) {
    ImmutableRef old = immutables.putIfAbsent(ref.id(), ref);
    if (old != null && old != ref) {
      ref.release();
    }
  }

  void holdMutable(MutableRef ref) {
    mutables.put(ref.id(), ref);
  }

  /** {@code mutable} was committed as {@code twin}: the service holds the twin from now on. */
  void committed(MutableRef mutable, ImmutableRef twin) {
    mutables.remove(mutable.id());
    committed.put(mutable.id(), new Committed(mutable, twin.id()));
    holdImmutable(twin);
  }

  ImmutableRef dropImmutable(String id) {
    return immutables.remove(id);
  }

  MutableRef dropMutable(String id) {
    return mutables.remove(id);
  }

  void forgetCommitted(String id) {
    committed.remove(id);
  }

  /** The committed mutables the service still knows of, by mutable ID. */
  Map<String, Committed> committedMutables() {
    return Map.copyOf(committed);
  }

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
    List<ServiceState.BindMount> m = new ArrayList<>();
    for (ActiveMount a : mounts.values().stream().sorted(Comparator.comparing(ActiveMount::dir)).toList()) {
      m.add(new ServiceState.BindMount(a.dir().toString(), a.id(), a.readOnly()));
    }
    m.addAll(pendingMounts);
    new ServiceState(ServiceState.FORMAT, immutables.keySet().stream().sorted().toList(),
        mutables.keySet().stream().sorted().toList(), m).save(file);
  }
}
