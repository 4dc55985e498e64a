package org.refcache.daemon;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a heartbeat line every interval on each connection whose request is still running, so that a
 * client can tell a long operation (an unpack, a big import) from a service that stopped answering
 * (SIGSTOP, a hang): the client's timeout counts the time without any line.
 *
 * <p>One clock thread visits the running requests and hands their writes to a pool, at most one pending
 * write per request: a client that does not read its socket blocks a writer of its own, never the
 * heartbeats of the others. A request shorter than the interval costs only an add to and a remove from
 * a set.
 */
final class Heartbeats implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Heartbeats.class);

  /** Writes one heartbeat line; called with the connection's write monitor held. */
  @FunctionalInterface
  interface Sender {
    void send() throws IOException;
  }

  private final Set<Beat> running = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService clock;
  private final ExecutorService writers;

  Heartbeats(Duration interval) {
    this.clock = Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "refcache-control-heartbeat"));
    AtomicInteger n = new AtomicInteger();
    this.writers = Executors.newCachedThreadPool(
        r -> daemonThread(r, "refcache-control-heartbeat-" + n.incrementAndGet()));
    long nanos = interval.toNanos();
    clock.scheduleAtFixedRate(() -> running.forEach(Beat::tick), nanos, nanos, TimeUnit.NANOSECONDS);
  }

  private static Thread daemonThread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Starts the heartbeats of one request; the first may come at once, then one per interval.
   *
   * @param monitor the connection's write monitor, so that no heartbeat follows the final line
   */
  Beat start(Object monitor, Sender sender) {
    Beat beat = new Beat(monitor, sender);
    running.add(beat);
    return beat;
  }

  /** The heartbeats of one request in progress. */
  final class Beat {
    private final Object monitor;
    private final Sender sender;
    private final AtomicBoolean writing = new AtomicBoolean();
    private volatile boolean stopped;

    private Beat(Object monitor, Sender sender) {
      this.monitor = monitor;
      this.sender = sender;
    }

    private void tick() {
      if (stopped || !writing.compareAndSet(false, true)) {
        return; // the previous heartbeat is still being written: the client is not reading
      }
      try {
        writers.execute(this::write);
      } catch (RejectedExecutionException e) {
        writing.set(false); // shutting down
      }
    }

    private void write() {
      try {
        synchronized (monitor) {
          if (!stopped) {
            sender.send();
          }
        }
      } catch (IOException e) {
        LOG.debug("heartbeat not delivered: {}", e.toString());
        stop();
      } finally {
        writing.set(false);
      }
    }

    /**
     * Stops the heartbeats. Called before the final line is written under the same monitor, so no
     * heartbeat can come after it.
     */
    void stop() {
      stopped = true;
      running.remove(this);
    }
  }

  @Override
  public void close() {
    clock.shutdownNow();
    writers.shutdownNow();
  }
}
