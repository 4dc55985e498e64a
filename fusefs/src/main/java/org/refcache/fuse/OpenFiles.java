package org.refcache.fuse;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;

/**
 * The file-handle table: FUSE's {@code fh} to the open descriptor of the real file and the use of
 * the ref it holds, so that an open file keeps its ref's data alive until it is released. Handles
 * are never reused within a mount.
 */
final class OpenFiles implements AutoCloseable {

  private final AtomicLong nextHandle = new AtomicLong(1);
  private final ConcurrentMap<Long, OpenFile> files = new ConcurrentHashMap<>();

  /**
   * One open file: the descriptor of the real file (upper or layer), owned by this entry, and the
   * use of the ref held while the file is open.
   */
  static final class OpenFile implements AutoCloseable {

    private final int fd;
    private final RefTree ref;
    private final boolean writable;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param writable whether the descriptor was opened for writing (then {@code fd} is in the
     *                 upper of a writable tree)
     */
    OpenFile(int fd, RefTree ref, boolean writable) {
      this.fd = fd;
      this.ref = ref;
      this.writable = writable;
    }

    int fd() {
      return fd;
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
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      int rc = Posix.close(fd);
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
      files.remove(handle, file);
    }
    return true;
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
        files.remove(handle, file);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
