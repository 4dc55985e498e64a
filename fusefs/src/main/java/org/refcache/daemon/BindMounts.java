package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.refcache.core.cache.CacheException;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.fuse.MountPrivileges;
import org.refcache.fuse.MountTable;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.FileNames;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.refcache.protocol.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bind mounts of refs' trees for {@code refcache mount}/{@code umount}, restored at start and detached at
 * shutdown. They run under the {@link RefService}'s lock (a mount holds a handle that a release must
 * see) and are part of the held state ({@link HeldHandles}), saved with every change.
 */
final class BindMounts {
  private static final Logger LOG = LoggerFactory.getLogger(BindMounts.class);

  /** Writes the held state; a failure undoes the change that preceded it. */
  interface StateWriter {
    void run() throws IOException;
  }

  private final CacheManager cache;
  private final HeldHandles held;
  private final MountTargets targets;
  private final ReentrantLock lock;
  private final Function<String, Path> treePath;
  private final StateWriter saveState;

  BindMounts(CacheManager cache, HeldHandles held, MountTargets targets, ReentrantLock lock,
      Function<String, Path> treePath, StateWriter saveState) {
    this.cache = cache;
    this.held = held;
    this.targets = targets;
    this.lock = lock;
    this.treePath = treePath;
    this.saveState = saveState;
  }

  /**
   * Bind-mounts the tree of {@code id} onto the directory {@code dir}, holding a handle while mounted.
   * A mutable the service holds is mounted through the service's handle (writable unless
   * {@code readOnly}), and cannot be released while mounted. The mount is {@code nosuid,nodev} unless
   * {@code granted} says otherwise, whatever the view's own flags. A directory where the mount would hide the
   * view, the state root or the control socket is refused ({@link MountTargets}). Happens whole or not at
   * all: when the held state cannot be saved, the bind is undone and its handle released.
   */
  HeldHandles.ActiveMount mount(String id, Path dir, boolean readOnly, MountPrivileges granted)
      throws IOException {
    RefService.requireId(id);
    Path target = directory(dir);
    targets.requireAllowed(dir);
    lock.lock();
    try {
      HeldHandles.ActiveMount m = bind(id, target, readOnly, granted);
      try {
        saveState.run();
      } catch (IOException | RuntimeException e) {
        unbind(m, e);
        throw e;
      }
      LOG.info("bind-mounted {} at {} ({}{})", id, Printable.text(target.toString()), readOnly ? "ro," : "", granted);
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
  private HeldHandles.ActiveMount bind(String id, Path target, boolean readOnly, MountPrivileges granted)
      throws IOException {
    held.mountAt(target).ifPresent(m -> {
      throw new ControlException(ErrorKind.USAGE, target + " already has " + m.id() + " mounted");
    });
    if (MountTable.isMountPoint(target)) {
      throw new ControlException(ErrorKind.USAGE, target + " is a mount point already");
    }
    ImmutableRef handle = null;
    String source = id;
    if (held.mutable(id).isEmpty()) {
      // Anything but a mutable the service holds is mounted through an immutable handle of what the ID
      // stands for; a committed mutable through its twin, which owns the data for good once finalized.
      source = held.serve(id).readOnlyRecord().orElseThrow(
          () -> new ControlException(ErrorKind.USAGE, id + " is a mutable ref the service does not hold"));
      handle = cache.get(source);
    }
    // An immutable ref's tree can never be written: its mount is read-only too, so that the VFS
    // refuses a writing open (EROFS) as on any read-only mount, before the view sees it (with
    // opens without requests the view would only refuse the first write).
    boolean mountReadOnly = readOnly || handle != null;
    try {
      Path tree = treePath.apply(source);
      if (!Files.isDirectory(tree)) {
        throw new ControlException(ErrorKind.NOT_FOUND, tree + " is not shown by the FUSE view");
      }
      Mounting.bindMount(tree, bytesOf(target), flags(mountReadOnly, granted));
    } catch (IOException | RuntimeException e) {
      if (handle != null) {
        handle.release();
      }
      throw e;
    }
    HeldHandles.ActiveMount m = new HeldHandles.ActiveMount(target, source, mountReadOnly, granted, handle);
    held.addMount(m);
    return m;
  }

  private static long flags(boolean readOnly, MountPrivileges granted) {
    return granted.mountFlags() | (readOnly ? Mounting.MS_RDONLY : 0);
  }

  private void unbind(HeldHandles.ActiveMount m, Exception cause) {
    held.removeMount(m.dir());
    try {
      Mounting.umount(bytesOf(m.dir()), Mounting.MNT_DETACH);
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
    if (m.handle() != null) {
      m.handle().release();
    }
  }

  /**
   * Unmounts a bind mount made by {@link #mount} and releases its handle. Happens whole or not at all: when
   * the held state cannot be saved, the bind is made again and keeps its handle.
   */
  HeldHandles.ActiveMount umount(Path dir) throws IOException {
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
      boolean wasMounted = true;
      try {
        Mounting.umount(bytesOf(t), 0);
      } catch (IOException e) {
        int errno = ErrnoMapper.toErrno(e);
        if (errno == Errno.EBUSY) {
          throw new ControlException(ErrorKind.LOCKED, t + " is busy: " + e.getMessage());
        }
        if (errno != Errno.EINVAL) {
          throw e;
        }
        LOG.info("{} was not mounted any more", Printable.text(t.toString()));
        wasMounted = false;
      }
      held.removeMount(t);
      try {
        saveState.run();
      } catch (IOException | RuntimeException e) {
        // The state file still lists the mount, and so does the service: it is made again, with the handle
        // it never gave up, so that the client's failed umount changed nothing.
        held.addMount(m);
        if (wasMounted) {
          rebind(m, e);
        }
        throw e;
      }
      if (m.handle() != null) {
        m.handle().release();
      }
      LOG.info("unmounted {} from {}", m.id(), Printable.text(t.toString()));
      return m;
    } finally {
      lock.unlock();
    }
  }

  /** Makes {@code m}'s bind again after an unmount that could not be saved. */
  private void rebind(HeldHandles.ActiveMount m, Exception cause) {
    try {
      Mounting.bindMount(treePath.apply(m.id()), bytesOf(m.dir()), flags(m.readOnly(), m.privileges()));
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      LOG.error("{} could not be mounted again after a failed umount ({}); the next start re-makes it", m.dir(),
          e.getMessage());
    }
  }

  /**
   * Re-makes the bind mounts the state file lists (at start, once the FUSE view answers). A mount whose
   * target is no longer allowed ({@link MountTargets}: an older version accepted it, or the file was edited)
   * is dropped, before anything is detached there. A stale mount left at a target by a crash is detached
   * first; a mount that cannot be re-made is logged and dropped. The state is then saved without the
   * dropped ones; when that fails the file keeps them and the next start drops them again.
   */
  void restoreMounts() {
    lock.lock();
    try {
      List<ServiceState.BindMount> pending = held.takePendingMounts();
      for (ServiceState.BindMount b : pending) {
        Path target = Path.of(b.dir());
        Optional<String> refused = targets.refusal(target);
        if (refused.isPresent()) {
          LOG.warn("dropping the saved bind mount of {} at {}: {}", b.id(), target, refused.get());
          continue;
        }
        try {
          MountTable.detachAt(target);
          Path dir = directory(target);
          targets.requireAllowed(target); // again: a stale mount there hid where the path leads
          bind(b.id(), dir, b.readOnly(), b.privileges());
        } catch (IOException | CacheException | ControlException e) {
          LOG.warn("cannot restore the bind mount of {} at {}: {}", Printable.text(b.id()),
              Printable.text(target.toString()), Printable.line(e.getMessage()));
        }
      }
      if (!pending.isEmpty()) {
        try {
          saveState.run();
        } catch (IOException | RuntimeException e) {
          LOG.warn("cannot save the held state after restoring bind mounts: {}", e.toString());
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Detaches every bind mount at shutdown. Their handles are not released and their entries stay in the
   * state file: the next start makes them again.
   */
  void detachMounts() {
    lock.lock();
    try {
      for (HeldHandles.ActiveMount m : held.mounts()) {
        try {
          Mounting.umount(bytesOf(m.dir()), Mounting.MNT_DETACH);
        } catch (IOException e) {
          LOG.warn("cannot detach {}: {}", Printable.text(m.dir().toString()), Printable.line(e.getMessage()));
        }
      }
    } finally {
      lock.unlock();
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
