package org.refcache.core.overlay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A writable tree's {@link CopyUpListener}s and the copies offered to them: during a mutation
 * (under the tree's write lock) a copy of a regular lower file that a listener wants is opened
 * at once, while its path is certain; once the mutation is done and the lock released, the
 * copies are handed over ({@link #deliver}), so a listener never runs under the tree's lock.
 */
final class CopyUpOffers {

  /** A copy of lower file {@code dev}/{@code ino}, open as {@code fd} until delivered. */
  record CopiedUp(long dev, long ino, int fd) {
  }

  private final CopyOnWriteArrayList<CopyUpListener> listeners = new CopyOnWriteArrayList<>();
  /** Copies opened during the running mutation (write lock held), handed over once it is done. */
  private List<CopiedUp> pending = new ArrayList<>();

  void add(CopyUpListener listener) {
    listeners.addIfAbsent(listener);
  }

  void remove(CopyUpListener listener) {
    listeners.remove(listener);
  }

  /** After {@code copy} of regular lower file {@code lower} is in place: opens it if wanted. */
  void offer(Stat lower, Path copy) {
    if (listeners.isEmpty() || !lower.isRegularFile()) {
      return;
    }
    boolean wanted = false;
    for (CopyUpListener listener : listeners) {
      wanted |= listener.wants(lower.dev(), lower.ino());
    }
    if (!wanted) {
      return;
    }
    int fd = Descriptors.openRaw(copy.toString(), Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    if (fd >= 0) { // else the readers keep the lower file, as before
      pending.add(new CopiedUp(lower.dev(), lower.ino(), fd));
    }
  }

  /**
   * The copies the mutation just done opened, to {@link #deliver} once the lock is released.
   * Called under the write lock, at the end of every mutation.
   */
  List<CopiedUp> takePending() {
    if (pending.isEmpty()) {
      return List.of();
    }
    List<CopiedUp> taken = pending;
    pending = new ArrayList<>();
    return taken;
  }

  /**
   * Hands {@code copies} ({@link #takePending}) to the listeners that still want them, with no
   * lock held, and closes them. After a failed mutation a copy may have been thrown away (a
   * directory rebuilt for a rename): then nobody gets it, and readers keep the lower file.
   */
  void deliver(List<CopiedUp> copies, boolean mutationDone) {
    for (CopiedUp copy : copies) {
      try {
        if (!mutationDone) {
          continue;
        }
        for (CopyUpListener listener : listeners) {
          if (listener.wants(copy.dev(), copy.ino())) {
            int fd = Descriptors.openRaw("/proc/self/fd/" + copy.fd(), Posix.O_RDONLY | Posix.O_CLOEXEC,
                0);
            if (fd >= 0) {
              listener.copiedUp(copy.dev(), copy.ino(), fd);
            }
          }
        }
      } finally {
        Descriptors.close(copy.fd());
      }
    }
  }
}
