package org.refcache.core.cache;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Concurrent callers with the same key share one execution: the first runs the task, the others wait
 * for its outcome (success or the same failure). A later call after it ended runs again.
 */
final class SingleFlight<K> {
  /** A task that may fail with an I/O or runtime error. */
  @FunctionalInterface
  interface Task {
    void run() throws IOException;
  }

  private final ConcurrentHashMap<K, CompletableFuture<Void>> inflight = new ConcurrentHashMap<>();

  void run(K key, Task task) throws IOException {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = inflight.putIfAbsent(key, mine);
    if (running == null) {
      try {
        task.run();
      } catch (IOException | RuntimeException | Error e) {
        // Free the key before waking the waiters: a call that comes after them runs again.
        inflight.remove(key, mine);
        mine.completeExceptionally(e);
        throw e;
      }
      inflight.remove(key, mine);
      mine.complete(null);
      return;
    }
    boolean interrupted = false;
    while (true) {
      try {
        running.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof IOException io) {
          throw new IOException(io.getMessage(), io);
        } else if (c instanceof RuntimeException re) {
          throw re;
        } else if (c instanceof Error er) {
          throw er;
        }
        throw new IOException(c);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
