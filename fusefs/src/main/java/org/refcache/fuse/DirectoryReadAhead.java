package org.refcache.fuse;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the subdirectories of a directory a walk is reading before the walk asks for them, on a
 * thread of its own, in trees that can never change ({@link ViewOperations#readAhead}). A walk
 * ({@code find}, {@code du}, {@code tar}) reads one directory at a time and waits for each
 * READDIRPLUS reply; the listing behind it (a {@code getdents} per layer directory, an
 * {@code lstat} per entry) is most of what the daemon does for it. Read ahead, that work runs on
 * the other core while the kernel takes the previous reply and the walk descends, and the
 * READDIRPLUS that follows finds the listing ready.
 *
 * <p>Only a walk is read ahead of: a directory whose parent was read a moment before (a reader
 * going down the tree, not an {@code ls -l} of one directory) gets its subdirectories listed. At
 * most {@link #WINDOW} directories are read ahead of what the walk has reached, so the listings
 * kept for it are not evicted before it gets there; a walk that stops leaves the rest unread
 * (after {@link #STALL_MILLIS}).
 */
final class DirectoryReadAhead {
  private static final Logger LOG = LoggerFactory.getLogger(DirectoryReadAhead.class);

  /** Directories read ahead of the walk at most. */
  static final int WINDOW = 32;
  /** How long a full window waits for the walk to come before the rest is dropped. */
  private static final long STALL_MILLIS = 2_000;
  /** Directories waiting at most; more are not read ahead. */
  private static final int MOST_PENDING = 4096;
  /** Directories remembered as read recently (for telling a walk); emptied when full. */
  private static final int MOST_REMEMBERED = 4096;
  /** An idle worker ends after this long; the next walk starts another. */
  private static final long IDLE_SECONDS = 10;

  private final ViewOperations view;
  private final LinkedBlockingQueue<MountPath> pending = new LinkedBlockingQueue<>(MOST_PENDING);
  private final Set<MountPath> recentlyRead = ConcurrentHashMap.newKeySet();
  /** Read ahead and not reached by the walk yet. */
  private final Set<MountPath> ahead = ConcurrentHashMap.newKeySet();
  private final Object progress = new Object();
  /** When a directory was last read ({@link System#nanoTime}): the walk is alive. */
  private volatile long lastRead = System.nanoTime();
  private boolean running;

  DirectoryReadAhead(ViewOperations view) {
    this.view = view;
  }

  /**
   * A reader starts reading directory {@code dir} (offset 0): it is remembered, and it is taken as
   * reached if it was read ahead.
   *
   * @return whether a walk is going down through it (its parent was read a moment before), so
   *         its subdirectories are worth reading ahead
   */
  boolean reading(MountPath dir) {
    boolean descending = isWalked(dir);
    if (recentlyRead.size() >= MOST_REMEMBERED) {
      recentlyRead.clear();
    }
    // Remembered before it is taken out of the window: the worker puts a directory in the window
    // and then looks here, so one of the two sees the other and no directory the walk reached is
    // left in the window (which would fill it, and stall reading ahead for STALL_MILLIS).
    recentlyRead.add(dir);
    if (ahead.remove(dir)) {
      synchronized (progress) {
        progress.notifyAll();
      }
    }
    return descending;
  }

  /** Whether a walk is going down through {@code dir}, read on past its start. */
  boolean isWalked(MountPath dir) {
    lastRead = System.nanoTime();
    MountPath parent = dir.parent();
    return parent != null && recentlyRead.contains(parent);
  }

  /** Lists directory {@code dir} (of a tree that never changes) ahead of the walk. */
  void add(MountPath dir) {
    if (!pending.offer(dir)) {
      return; // enough ahead already
    }
    synchronized (progress) {
      if (running) {
        return;
      }
      running = true;
    }
    Thread worker = new Thread(this::work, "refcache-read-ahead");
    worker.setDaemon(true);
    worker.start();
  }

  private void work() {
    try {
      while (true) {
        MountPath next = pending.poll(IDLE_SECONDS, TimeUnit.SECONDS);
        if (next == null) {
          synchronized (progress) {
            if (pending.isEmpty()) {
              running = false;
              return;
            }
          }
          continue;
        }
        if (!awaitRoom()) {
          pending.clear(); // the walk went elsewhere or stopped
          ahead.clear();
          continue;
        }
        ahead.add(next); // before looking: the walk may reach it at any moment (see reading)
        if (recentlyRead.contains(next)) {
          ahead.remove(next); // the walk got there first
          continue;
        }
        view.readAhead(next);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      synchronized (progress) {
        running = false;
      }
    } catch (RuntimeException e) {
      LOG.debug("reading ahead stopped", e);
      synchronized (progress) {
        running = false;
      }
    }
  }

  /**
   * Waits while the window is full; false if no directory was read for {@link #STALL_MILLIS}
   * (the walk stopped). A walk still reading the directory whose subdirectories fill the window
   * is moving on: a READDIRPLUS of 1 000 subdirectories takes several requests, and the walk
   * reaches the first of them only after the last (dropping the window then left a walk of
   * 200 000 entries without any reading ahead).
   */
  private boolean awaitRoom() throws InterruptedException {
    synchronized (progress) {
      while (ahead.size() >= WINDOW) {
        long idle = System.nanoTime() - lastRead;
        long left = TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS) - idle;
        if (left <= 0) {
          return false;
        }
        progress.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
      return true;
    }
  }
}
