package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
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
  private final int capacity;
  private final Map<Long, Files> byNode = new LinkedHashMap<>(16, 0.75f, true);

  NodeFiles(ViewOperations view) {
    this(view, CAPACITY);
  }

  NodeFiles(ViewOperations view, int capacity) {
    this.view = view;
    this.capacity = capacity;
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
  <T> T reading(long nodeId, Opener opener, HandleOperation<T> operation) throws IOException {
    return use(nodeId, false, opener, operation);
  }

  /** Runs {@code operation} on a handle of {@code nodeId} open for reading and writing. */
  <T> T writing(long nodeId, Opener opener, HandleOperation<T> operation) throws IOException {
    return use(nodeId, true, opener, operation);
  }

  private <T> T use(long nodeId, boolean write, Opener opener, HandleOperation<T> operation)
      throws IOException {
    while (true) {
      Files files = filesOf(nodeId);
      long handle = openedIn(files, nodeId, write, opener);
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
  private long openedIn(Files files, long nodeId, boolean write, Opener opener)
      throws IOException {
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

  /** A node without a place to open it by. */
  static NoSuchFileException unknown(long nodeId) {
    return new NoSuchFileException("node " + nodeId);
  }
}
