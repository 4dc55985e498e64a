package org.refcache.fuse;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntUnaryOperator;
import org.refcache.core.overlay.CopyUpListener;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;

/**
 * The file-handle table: FUSE's {@code fh} to the open descriptor of the real file and the use of
 * the ref it holds, so that an open file keeps its ref's data alive until it is released. Handles
 * are never reused within a mount.
 *
 * <p>Read-only files opened on a lower file of a writable tree follow its copy-up: they are
 * indexed by the tree and the lower file's identity (dev, ino), so renames do not matter, and
 * when the tree copies that file up ({@link CopyUpListener}) their descriptor
 * is swapped for one on the copy, under the file's lock; their reads take that lock's read side
 * (every other file reads without a lock). Offsets are explicit ({@code pread}), so none is lost.
 */
final class OpenFiles implements AutoCloseable {

  private final AtomicLong nextHandle = new AtomicLong(1);
  private final ConcurrentMap<Long, OpenFile> files = new ConcurrentHashMap<>();
  /** Read-only files still on a lower file of a writable tree, by tree and lower identity. */
  private final ConcurrentMap<LowerFile, Set<OpenFile>> lowerReaders = new ConcurrentHashMap<>();

  /** A lower file as one writable tree sees it: copy-ups in another tree do not concern it. */
  record LowerFile(WritableOverlayTree tree, long dev, long ino) {
  }

  /** How many handles were ever registered (tests: how often a file was opened). */
  long registered() {
    return nextHandle.get() - 1;
  }

  /** This table's listener on {@code tree}: equal for one table and tree (added once). */
  private record Follower(OpenFiles files, WritableOverlayTree tree)
      implements CopyUpListener {

    @Override
    public boolean wants(long dev, long ino) {
      return files.lowerReaders.containsKey(new LowerFile(tree, dev, ino));
    }

    @Override
    public void copiedUp(long dev, long ino, int fd) {
      files.follow(new LowerFile(tree, dev, ino), fd);
    }
  }

  /**
   * One open file: the descriptor of the real file (upper or layer), owned by this entry, and the
   * use of the ref held while the file is open.
   */
  static final class OpenFile implements AutoCloseable {

    private volatile int fd;
    private final RefTree ref;
    private final boolean writable;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set while the file is on a lower file that may be copied up; then its fd may change. */
    private volatile LowerFile lower;
    /** Whether the kernel may read the file itself (see {@link FileHandles#CACHED_UP_TO}). */
    private volatile boolean passthroughOffered;
    /** Whether {@link #fd} is open {@code O_RDWR} with no other flag (a created file's). */
    private volatile boolean readsAndWrites;
    /** Guards {@link #fd} against a swap or close during its use, for files that follow. */
    private final ReentrantReadWriteLock fdLock = new ReentrantReadWriteLock();

    /**
     * @param writable whether the descriptor was opened for writing (then {@code fd} is in the
     *                 upper of a writable tree)
     */
    OpenFile(int fd, RefTree ref, boolean writable) {
      this.fd = fd;
      this.ref = ref;
      this.writable = writable;
    }

    /** Whether the file belongs to a read-only tree (never writable, unlike a frozen one). */
    boolean ofReadOnlyTree() {
      return !(ref.tree() instanceof org.refcache.core.overlay.WritableOverlayTree);
    }

    /** Marks the descriptor as open {@code O_RDWR} with no other flag; returns this file. */
    OpenFile readingAndWriting() {
      this.readsAndWrites = true;
      return this;
    }

    /** Whether the descriptor is open {@code O_RDWR} with no other flag. */
    boolean readsAndWrites() {
      return readsAndWrites;
    }

    void offerPassthrough(boolean offered) {
      this.passthroughOffered = offered;
    }

    /** Whether the view offers the file's descriptor for passthrough (a read-only tree's). */
    boolean passthroughOffered() {
      return passthroughOffered;
    }

    /** The descriptor; of a file that may follow a copy-up, valid only until it swaps. */
    int fd() {
      return fd;
    }

    /**
     * {@code op} applied to the descriptor, which neither changes nor closes meanwhile; -EBADF
     * once the file is closed.
     */
    int withFd(IntUnaryOperator op) {
      ReentrantReadWriteLock.ReadLock read = fdLock.readLock();
      read.lock();
      try {
        return closed.get() ? -Errno.EBADF : op.applyAsInt(fd);
      } finally {
        read.unlock();
      }
    }

    /** Whether the descriptor may be swapped (then use {@link #withFd}). */
    boolean follows() {
      return lower != null;
    }

    /** Puts {@code newFd} (owned from now on) in place of the descriptor and closes the old one. */
    void swap(int newFd) {
      int old;
      ReentrantReadWriteLock.WriteLock write = fdLock.writeLock();
      write.lock();
      try {
        if (closed.get()) {
          old = newFd;
        } else {
          old = fd;
          fd = newFd;
        }
      } finally {
        write.unlock();
      }
      Descriptors.close(old);
    }

    boolean writable() {
      return writable;
    }

    /**
     * Whether a write through this handle may go ahead now: opened for writing and the tree not
     * frozen by a commit since (writes would otherwise reach a committed upper).
     */
    boolean mayWrite() {
      return writable && ref.writableOrNull() != null;
    }

    /**
     * Closes the descriptor and releases the ref, even when the close fails; once, however often
     * it is called (a release and the unmount's close-all may race).
     */
    @Override
    public void close() throws IOException {
      int rc;
      ReentrantReadWriteLock.WriteLock write = fdLock.writeLock();
      write.lock();
      try {
        if (!closed.compareAndSet(false, true)) {
          return;
        }
        rc = Descriptors.close(fd);
      } finally {
        write.unlock();
      }
      ref.close();
      if (rc < 0) {
        throw ErrnoMapper.toException("close", -rc, "fd " + fd, null);
      }
    }
  }

  /** Enters {@code file} into the table and returns its handle. */
  long register(OpenFile file) {
    long handle = nextHandle.getAndIncrement();
    files.put(handle, file);
    return handle;
  }

  /**
   * Enters a read-only {@code file} opened on lower file {@code lower}: it follows that file's
   * copy-up in {@code lower.tree()}. The caller then checks that the copy-up did not happen
   * before this call (see {@link FileHandles}).
   */
  long registerLowerReader(OpenFile file, LowerFile lower) {
    file.lower = lower;
    lowerReaders.compute(lower, (key, readers) -> {
      Set<OpenFile> set = readers == null ? ConcurrentHashMap.newKeySet() : readers;
      set.add(file);
      return set;
    });
    lower.tree().addCopyUpListener(new Follower(this, lower.tree()));
    return register(file);
  }

  /** Points the readers of {@code lower} at its copy, open as {@code fd} (closed here). */
  private void follow(LowerFile lower, int fd) {
    try {
      Set<OpenFile> readers = lowerReaders.remove(lower);
      if (readers == null) {
        return;
      }
      for (OpenFile file : readers) {
        follow(file, "/proc/self/fd/" + fd);
      }
    } finally {
      Descriptors.close(fd);
    }
  }

  /**
   * Points {@code file} at the copy reachable as {@code path} (reopened read-only), once: it no
   * longer waits for a copy-up.
   *
   * @return whether it now reads the copy
   */
  boolean follow(OpenFile file, String path) {
    forget(file);
    int copy = Descriptors.openRaw(path, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
    if (copy < 0) {
      return false; // it keeps the lower file
    }
    file.swap(copy);
    return true;
  }

  /** The file of {@code handle}, or null when the handle is unknown (then answer EBADF). */
  OpenFile get(long handle) {
    return files.get(handle);
  }

  /**
   * Closes the file of {@code handle} and then takes it out of the table, so that it counts as
   * open until its ref is released.
   *
   * @return false if the handle is unknown
   */
  boolean release(long handle) throws IOException {
    OpenFile file = files.get(handle);
    if (file == null) {
      return false;
    }
    try {
      file.close();
    } finally {
      forget(file);
      files.remove(handle, file);
    }
    return true;
  }

  /** Takes a closed file out of the lower readers' index. */
  private void forget(OpenFile file) {
    LowerFile lower = file.lower;
    if (lower == null) {
      return;
    }
    lowerReaders.computeIfPresent(lower, (key, readers) -> {
      readers.remove(file);
      return readers.isEmpty() ? null : readers;
    });
  }

  /**
   * How many lower files have readers waiting for their copy-up. Tests only, and kept because the
   * registrations are invisible from outside until a copy-up happens: only this shows they are dropped
   * when the readers close (no leak per file ever opened).
   */
  int lowerFilesFollowed() {
    return lowerReaders.size();
  }

  int size() {
    return files.size();
  }

  /**
   * Closes every open file: all are closed even if some fail.
   *
   * @throws IOException the first failure, the others suppressed in it
   */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Long handle : files.keySet()) {
      OpenFile file = files.get(handle);
      if (file == null) {
        continue;
      }
      try {
        file.close();
      } catch (IOException | RuntimeException e) {
        IOException wrapped = e instanceof IOException io ? io : new IOException(e);
        if (failure == null) {
          failure = wrapped;
        } else {
          failure.addSuppressed(wrapped);
        }
      } finally {
        forget(file);
        files.remove(handle, file);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
