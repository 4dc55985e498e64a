package org.refcache.core.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;

/**
 * Starts flushing what a writer has written while it goes on writing, so that the flush that makes
 * its work durable at the end (an fsync, a syncfs) finds little left to wait for: the disk works
 * while the CPU does, instead of after it. Without this the kernel starts writing back only when
 * 10% of memory is dirty or after 30 s, so a writer of a few hundred MiB pays the whole disk time
 * at its final flush.
 *
 * <p>The flushes made here are extra, never instead of the final one, which the caller still
 * makes after {@link #await}. They must not hide a failure either: Linux reports a write-back error
 * once per open file (and a {@code syncfs} only to descriptors opened before the error), so an
 * error one of them meets could be missing from the final flush. {@link #await} therefore throws the
 * first failure of any of them.
 *
 * <p>Used by one writing thread; each flush runs on a short-lived thread of its own, at most one at a
 * time (a flush still running when the next is due lets that one pass).
 */
public final class EarlyWriteback {
  /** The flush to start: an fsync, fdatasync or syncfs of what is being written. */
  @FunctionalInterface
  public interface Flush {
    void run() throws IOException;
  }

  private final Flush flush;
  private final long every;
  private final String threadName;
  private long sinceLast;
  private Thread running;
  private volatile IOException failure;

  /**
   * Flushes with {@code flush} each time {@code every} more bytes were {@link #written}.
   *
   * @param threadName the name of the threads the flushes run on
   */
  public EarlyWriteback(Flush flush, long every, String threadName) {
    this.flush = Objects.requireNonNull(flush, "flush");
    if (every <= 0) {
      throw new IllegalArgumentException("every must be positive: " + every);
    }
    this.every = every;
    this.threadName = Objects.requireNonNull(threadName, "threadName");
  }

  /** Counts {@code bytes} more written; starts a flush when enough were since the last one. */
  public void written(long bytes) {
    sinceLast += bytes;
    if (sinceLast < every || (running != null && running.isAlive())) {
      return;
    }
    sinceLast = 0;
    running = new Thread(this::flushNow, threadName);
    running.setDaemon(true);
    running.start();
  }

  private void flushNow() {
    try {
      flush.run();
    } catch (IOException | RuntimeException e) {
      synchronized (this) {
        if (failure == null) {
          failure = e instanceof IOException io ? io : new IOException(e);
        }
      }
    }
  }

  /**
   * Waits for the flush in progress, if any, and throws the first failure of those started; the
   * caller makes its own final flush after this.
   */
  public void await() throws IOException {
    Thread t = running;
    if (t != null) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        InterruptedIOException io = new InterruptedIOException("interrupted while waiting for a flush");
        io.initCause(e);
        throw io;
      }
    }
    IOException e = failure;
    if (e != null) {
      throw e;
    }
  }
}
