package org.refcache.fuse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.refcache.posix.Posix;

/**
 * Files read and written by node, for a connection whose opens take no request
 * ({@link FuseOptions#opensWithoutRequests}): the kernel then sends READ, WRITE, FSYNC and the
 * like with file handle 0 and the node ID, and this opens the node's file through the view when
 * one of them comes, and keeps it for the next.
 *
 * <p>Bounded: at most {@link #CAPACITY} nodes keep an open file (each is a descriptor of the
 * daemon's), the least recently used are closed and opened again by their place when asked.
 * A node's files are closed when the kernel forgets the node. What this costs: an open file of a
 * pruned ref stays readable only while its node's file is kept here (the kernel's own reference to
 * a backing file, as passthrough has, is gone with OPEN); see docs/ARCHITECTURE.md.
 *
 * <p>Thread safety: the table is guarded by its own monitor; each node's files by a read-write
 * lock, whose write side only closing takes, so reads and writes of one node run in parallel.
 */
final class NodeFiles implements AutoCloseable {

  /** Nodes that keep an open file: far below the daemon's descriptor limit. */
  static final int CAPACITY = 1024;

  /** Opens a node's file by its place, with {@code open(2)} flags: the view's handle. */
  interface Opener {
    long open(long nodeId, int flags) throws IOException;
  }

  /** An operation on an open handle. */
  interface HandleOperation<T> {
    T apply(long handle) throws IOException;
  }

  private final ViewOperations view;
  private final Opener opener;
  private final int capacity;
  private final Map<Long, Files> byNode = new LinkedHashMap<>(16, 0.75f, true);

  /**
   * @param opener opens a node's file by its place (the bridge's: it knows nodes and places)
   */
  NodeFiles(ViewOperations view, Opener opener) {
    this(view, opener, CAPACITY);
  }

  NodeFiles(ViewOperations view, Opener opener, int capacity) {
    this.view = view;
    this.opener = opener;
    this.capacity = capacity;
  }

  /** READ by node: bytes read into {@code buffer}. */
  int read(long nodeId, jnr.ffi.Pointer buffer, int size, long offset) throws IOException {
    return reading(nodeId, h -> view.read(h, buffer, size, offset));
  }

  /** WRITE by node: bytes written. */
  int write(long nodeId, jnr.ffi.Pointer buffer, int size, long offset) throws IOException {
    return writing(nodeId, h -> view.write(h, buffer, size, offset));
  }

  /** {@code ftruncate} by node. */
  void truncate(long nodeId, long size) throws IOException {
    writing(nodeId, h -> {
      view.truncate(h, size);
      return null;
    });
  }

  /** {@code fallocate} by node. */
  void fallocate(long nodeId, int mode, long offset, long length) throws IOException {
    writing(nodeId, h -> {
      view.fallocate(h, mode, offset, length);
      return null;
    });
  }

  /**
   * {@code fsync} by node: through any descriptor of the file, which makes durable what every
   * descriptor wrote (also one closed since).
   */
  void sync(long nodeId, boolean dataOnly) throws IOException {
    reading(nodeId, h -> {
      view.sync(h, dataOnly);
      return null;
    });
  }

  /**
   * Takes {@code handle}, open {@code O_RDWR} with no other flag on {@code nodeId}'s file, as the
   * node's file for reading and writing, as if this had opened it: the descriptor that made a
   * file (CREATE) serves its writes, with no second open. Released at once if the node has such
   * a file already.
   */
  void adopt(long nodeId, long handle) {
    Files files = filesOf(nodeId);
    long unused = handle;
    ReentrantReadWriteLock.WriteLock lock = files.lock.writeLock();
    lock.lock();
    try {
      if (!files.closed && files.writing == 0) {
        files.writing = handle;
        unused = 0;
      }
    } finally {
      lock.unlock();
    }
    release(unused);
  }

  /** One node's open files: one for reading (0: none yet), one for writing (0: none yet). */
  private static final class Files {
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    long reading;
    long writing;
    boolean closed;
  }

  /**
   * Runs {@code operation} on a handle of {@code nodeId} that reads: its writing one if it has
   * one (it sees its own writes), else one opened read-only.
   */
  private <T> T reading(long nodeId, HandleOperation<T> operation) throws IOException {
    return use(nodeId, false, operation);
  }

  /** Runs {@code operation} on a handle of {@code nodeId} open for reading and writing. */
  private <T> T writing(long nodeId, HandleOperation<T> operation) throws IOException {
    return use(nodeId, true, operation);
  }

  private <T> T use(long nodeId, boolean write, HandleOperation<T> operation) throws IOException {
    while (true) {
      Files files = filesOf(nodeId);
      long handle = openedIn(files, nodeId, write);
      ReentrantReadWriteLock.ReadLock read = files.lock.readLock();
      read.lock();
      try {
        if (!files.closed) {
          return operation.apply(handle);
        }
      } finally {
        read.unlock();
      }
      // closed meanwhile (evicted or forgotten): open again
    }
  }

  /** The handle to use in {@code files}, opened now if needed. */
  private long openedIn(Files files, long nodeId, boolean write) throws IOException {
    ReentrantReadWriteLock.WriteLock lock = files.lock.writeLock();
    lock.lock();
    try {
      if (files.closed) {
        return 0; // the caller sees it closed and starts again
      }
      if (files.writing != 0) {
        return files.writing;
      }
      if (write) {
        files.writing = opener.open(nodeId, Posix.O_RDWR);
        return files.writing;
      }
      if (files.reading == 0) {
        files.reading = opener.open(nodeId, Posix.O_RDONLY);
      }
      return files.reading;
    } finally {
      lock.unlock();
    }
  }

  private Files filesOf(long nodeId) {
    List<Files> evicted = new ArrayList<>();
    Files files;
    synchronized (byNode) {
      files = byNode.get(nodeId);
      if (files == null) {
        files = new Files();
        byNode.put(nodeId, files);
        var it = byNode.entrySet().iterator();
        while (byNode.size() > capacity && it.hasNext()) {
          Map.Entry<Long, Files> oldest = it.next();
          if (oldest.getValue() != files) {
            evicted.add(oldest.getValue());
            it.remove();
          }
        }
      }
    }
    for (Files old : evicted) {
      close(old);
    }
    return files;
  }

  /** The kernel forgot {@code nodeId}: its files close. */
  void forgotten(long nodeId) {
    Files files;
    synchronized (byNode) {
      files = byNode.remove(nodeId);
    }
    if (files != null) {
      close(files);
    }
  }

  /** The nodes that keep an open file now. */
  List<Long> nodes() {
    synchronized (byNode) {
      return new ArrayList<>(byNode.keySet());
    }
  }

  /** How many nodes keep an open file (tests). */
  int size() {
    synchronized (byNode) {
      return byNode.size();
    }
  }

  private void close(Files files) {
    ReentrantReadWriteLock.WriteLock lock = files.lock.writeLock();
    lock.lock();
    try {
      files.closed = true;
      release(files.reading);
      release(files.writing);
      files.reading = 0;
      files.writing = 0;
    } finally {
      lock.unlock();
    }
  }

  private void release(long handle) {
    if (handle == 0) {
      return;
    }
    try {
      view.release(handle);
    } catch (IOException | RuntimeException e) {
      ViewFailures.errno("release", "fh " + handle, e);
    }
  }

  @Override
  public void close() {
    List<Files> all;
    synchronized (byNode) {
      all = new ArrayList<>(byNode.values());
      byNode.clear();
    }
    for (Files files : all) {
      close(files);
    }
  }
}
