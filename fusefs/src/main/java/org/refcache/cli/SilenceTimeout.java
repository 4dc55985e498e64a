package org.refcache.cli;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Gives up on a service that has sent nothing for too long: a stopped (SIGSTOP) or stuck service accepts
 * connections and requests into its socket's buffers and then never answers, which would hang the client
 * for good. Every line the service sends (progress and heartbeats included) counts as a sign of life, so
 * a long operation that keeps reporting is never cut.
 *
 * <p>A watcher thread runs {@code onExpiry} (closing the connection, which ends a blocked connect, write
 * or read) once the limit passes without {@link #alive}; the caller then asks {@link #expired()}.
 */
final class SilenceTimeout implements AutoCloseable {
  private final long limitNanos;
  private final Runnable onExpiry;
  private final Thread watcher;
  private volatile long lastSign = System.nanoTime();
  private volatile String waitingFor = "the daemon";
  private volatile boolean expired;
  private volatile boolean closed;

  /**
   * Starts watching.
   *
   * @param limit how long to wait without a sign of life; {@link Duration#ZERO} waits for ever
   * @param onExpiry what ends the wait (closing the channel)
   */
  SilenceTimeout(Duration limit, Runnable onExpiry) {
    this.limitNanos = limit.toNanos();
    this.onExpiry = onExpiry;
    this.watcher = new Thread(this::watch, "refcache-client-timeout");
    this.watcher.setDaemon(true);
    if (limitNanos > 0) {
      watcher.start();
    }
  }

  /** Marks a sign of life and says what the client waits for from now on (for the error message). */
  void waitFor(String what) {
    waitingFor = what;
    alive();
  }

  /** Marks a sign of life: the limit counts again from now. */
  void alive() {
    lastSign = System.nanoTime();
  }

  /** Whether the limit passed (and {@code onExpiry} ran). */
  boolean expired() {
    return expired;
  }

  /** What the client was waiting for when the limit passed. */
  String waitingFor() {
    return waitingFor;
  }

  private void watch() {
    while (!closed) {
      long left = lastSign + limitNanos - System.nanoTime();
      if (left <= 0) {
        expired = true;
        onExpiry.run();
        return;
      }
      LockSupport.parkNanos(this, left);
    }
  }

  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(watcher);
  }
}
