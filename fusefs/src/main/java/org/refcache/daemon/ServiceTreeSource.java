package org.refcache.daemon;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.LayerUnpackException;
import org.refcache.core.cache.NotFoundException;
import org.refcache.core.cache.RefOptions;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.fuse.RefLease;
import org.refcache.fuse.RefTreeSource;
import org.refcache.posix.ErrnoMapper;

/**
 * What {@code <mountpoint>/refs/<id>} shows, for the FUSE view, as {@link HeldHandles#serve} decides:
 *
 * <ul>
 *   <li>A mutable the service holds (made by {@code new}) is served through the service's own handle,
 *       writable; {@code getMutable} would fail with Locked because that handle is the only one. Its
 *       lease does not release the service's handle.</li>
 *   <li>An immutable, and the ID of a committed mutable (which stands for its twin: the service's commits,
 *       before and after a restart, until the twin goes), are served through a fresh {@code get} handle
 *       of the immutable record, read-only; it does not count as a use and is released when the lease
 *       closes; the first mount of a lazy ref unpacks it. The handle is weak: it does not keep the
 *       ref from prune, only its data (a file open through the view stays readable after a prune
 *       removed its ref); prune invalidates the refs it removed.</li>
 *   <li>An idle mutable without a twin is not shown ({@code get} would commit it on the spot), nor is the
 *       twin of a commit the service has not recorded yet.</li>
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
    return held.servedIds();
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
    ServedRef served;
    try {
      served = held.serve(id);
    } catch (NotFoundException e) {
      return Optional.empty();
    }
    if (served instanceof ServedRef.Writable w) {
      return Optional.of(new ServiceLease(w.handle().mount(false), null));
    }
    return served.readOnlyRecord().flatMap(this::openImmutable);
  }

  @Override
  public boolean wouldUnpack(String id) {
    try {
      // A held mutable's parents were extracted by newRef.
      return held.serve(id).readOnlyRecord().map(cache::needsExtract).orElse(false);
    } catch (NotFoundException e) {
      return false;
    }
  }

  private Optional<RefLease> openImmutable(String id) {
    ImmutableRef ref;
    try {
      // Weak: a ref the view reads can still be pruned; its data stays while the lease is open.
      ref = cache.get(id, RefOptions.noUpdateLastUsed(), RefOptions.weak());
    } catch (NotFoundException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(new ServiceLease(ref.mount(true), ref));
    } catch (NotFoundException e) {
      ref.release(); // pruned while it was being opened
      return Optional.empty();
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
