package org.refcache.daemon;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.InvalidRefException;
import org.refcache.core.cache.LayerUnpackException;
import org.refcache.core.cache.MutableRef;
import org.refcache.core.cache.NotFoundException;
import org.refcache.core.cache.RecordInfo;
import org.refcache.core.cache.RefOptions;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.fuse.RefLease;
import org.refcache.fuse.RefTreeSource;
import org.refcache.posix.ErrnoMapper;

/**
 * What {@code <mountpoint>/refs/<id>} shows, for the FUSE view.
 *
 * <ul>
 *   <li>A mutable the service holds (made by {@code new}) is served through the service's own handle,
 *       writable; {@code getMutable} would fail with Locked because that handle is the only one. Its
 *       lease does not release the service's handle.</li>
 *   <li>A mutable the service committed: the service finalizes the twin at commit, so the mutable
 *       record is gone and its ID shows the twin's (frozen, EROFS) tree, and bind mounts of it keep
 *       working until the twin goes.</li>
 *   <li>Any other mutable with a committed twin shows the twin's read-only tree (after a restart).</li>
 *   <li>An idle mutable without a twin is not shown: {@code get} would commit it on the spot.</li>
 *   <li>Every immutable is served through a fresh {@code get} handle that does not count as a use and is
 *       released when the lease closes; the first mount of a lazy ref unpacks it.</li>
 * </ul>
 *
 * <p>A layer that cannot be unpacked fails the access with the errno the cache gives it (ENOSPC for a
 * full disk, else EIO); the cache remembers the failure, so the next access fails as fast.
 */
public final class ServiceTreeSource implements RefTreeSource {
  private final CacheManager cache;
  private final HeldHandles held;

  public ServiceTreeSource(CacheManager cache, HeldHandles held) {
    this.cache = cache;
    this.held = held;
  }

  @Override
  public List<String> refIds() {
    Set<String> ids = new TreeSet<>();
    for (RecordInfo r : cache.records()) {
      if (shown(r)) {
        ids.add(r.id());
      }
    }
    ids.addAll(held.committedIds());
    return List.copyOf(ids);
  }

  private boolean shown(RecordInfo r) {
    return !r.mutable() || held.mutable(r.id()).isPresent() || r.equalImmutable() != null;
  }

  @Override
  public Optional<RefLease> open(String id) {
    try {
      return openTree(id);
    } catch (LayerUnpackException e) {
      throw new UncheckedIOException(e.getMessage(),
          ErrnoMapper.toException("unpack", e.errno(), id, null));
    }
  }

  private Optional<RefLease> openTree(String id) {
    Optional<MutableRef> own = held.mutable(id);
    if (own.isPresent()) {
      return Optional.of(new ServiceLease(own.get().mount(false), null));
    }
    Optional<HeldHandles.Committed> committed = held.committedMutable(id);
    if (committed.isPresent()) {
      try {
        return Optional.of(new ServiceLease(committed.get().handle().mount(false), null));
      } catch (NotFoundException | InvalidRefException e) {
        // Finalized (the twin owns the data now) or the twin is gone: the twin answers, if it lives.
        return openImmutable(committed.get().twinId());
      }
    }
    try {
      RecordInfo info = cache.info(id);
      if (info.mutable()) {
        return info.equalImmutable() == null ? Optional.empty() : openImmutable(info.equalImmutable());
      }
    } catch (NotFoundException e) {
      return Optional.empty();
    }
    return openImmutable(id);
  }

  @Override
  public boolean wouldUnpack(String id) {
    if (held.mutable(id).isPresent() || held.committedMutable(id).isPresent()) {
      return false; // newRef extracted the parents; a committed twin shares the unpacked upper
    }
    try {
      RecordInfo info = cache.info(id);
      if (info.mutable()) {
        return info.equalImmutable() != null && cache.needsExtract(info.equalImmutable());
      }
      return cache.needsExtract(id);
    } catch (NotFoundException e) {
      return false;
    }
  }

  private Optional<RefLease> openImmutable(String id) {
    ImmutableRef ref;
    try {
      ref = cache.get(id, RefOptions.noUpdateLastUsed());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ServiceLease(ref.mount(true), ref));
    } catch (RuntimeException e) {
      ref.release();
      throw e;
    }
  }

  /** A tree and the handle to release with it (none for the service's own mutable handles). */
  private static final class ServiceLease implements RefLease {
    private final OverlayTree tree;
    private final ImmutableRef handle;

    ServiceLease(OverlayTree tree, ImmutableRef handle) {
      this.tree = tree;
      this.handle = handle;
    }

    @Override
    public OverlayTree tree() {
      return tree;
    }

    @Override
    public void close() {
      if (handle != null) {
        handle.release();
      }
    }
  }
}
