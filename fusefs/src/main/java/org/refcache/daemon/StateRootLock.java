package org.refcache.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.refcache.posix.Descriptors;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;

/**
 * One service per state root: an exclusive {@code flock(2)} on {@code <root>/lock}, held from before the
 * service touches anything in the root (stale mounts, LMDB, {@code service.json}) until it has closed
 * everything. The file records the holder's PID so that a refused service can name it.
 *
 * <p>{@code flock}, not {@code FileChannel.lock}: a POSIX record lock belongs to the process and goes
 * away when any descriptor of the file is closed (reading the PID would drop it), and two services in
 * one JVM (tests) would not exclude each other. The kernel drops the lock when the process dies, so a
 * crash leaves nothing to clean up; the file itself stays, with the last holder's PID.
 */
final class StateRootLock implements AutoCloseable {
  /** The lock file's name under the state root. */
  static final String FILE = "lock";

  private final Path file;
  private int fd;

  private StateRootLock(Path file, int fd) {
    this.file = file;
    this.fd = fd;
  }

  /**
   * Locks {@code root} for this process.
   *
   * @throws StateRootInUseException when another service holds the root
   */
  static StateRootLock acquire(Path root) throws IOException {
    Path file = root.resolve(FILE);
    int fd = Descriptors.open(file, Posix.O_RDWR | Posix.O_CREAT | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0600);
    try {
      if (!Descriptors.tryLockExclusive(fd, file.toString())) {
        throw new StateRootInUseException(root, file, holderOf(file));
      }
      int r = Descriptors.ftruncate(fd, 0);
      if (r < 0) {
        throw ErrnoMapper.toException("ftruncate", -r, file.toString(), null);
      }
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
      Descriptors.writeFully(fd, pid, pid.length, file.toString());
      return new StateRootLock(file, fd);
    } catch (IOException | RuntimeException e) {
      Descriptors.close(fd);
      throw e;
    }
  }

  /** The PID recorded in {@code file}, or -1 when the holder has not written it yet. */
  private static long holderOf(Path file) throws IOException {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      return text.matches("[0-9]{1,18}") ? Long.parseLong(text) : -1;
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  Path file() {
    return file;
  }

  /** Releases the lock; the file stays (removing it would let two services lock two different files). */
  @Override
  public synchronized void close() {
    if (fd >= 0) {
      Descriptors.close(fd);
      fd = -1;
    }
  }
}
