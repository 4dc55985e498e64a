package org.refcache.fuse.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.refcache.posix.IoUring;
import org.refcache.posix.NativeException;
import org.refcache.posix.Printable;

/**
 * Whether a session can serve FUSE over io_uring, and its rings. The kernel keeps one queue per
 * possible CPU (a request lands on the queue of the CPU its caller runs on) and uses the rings
 * only once every queue has an entry, so there are at least as many {@link RingWorker}s as
 * queues. The rings are set up before INIT is answered: once the kernel has taken the answer
 * with FUSE_OVER_IO_URING it holds every request until the entries are there, so a ring that
 * could not be made afterwards would hang the mount.
 */
final class RingTransport {

  private static final Path POSSIBLE_CPUS = Path.of("/sys/devices/system/cpu/possible");
  private static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
  /** Submission entries per worker: one command at a time, one spare. */
  private static final int RING_ENTRIES = 2;

  private RingTransport() {
  }

  /**
   * The rings of {@code workers} ring workers (at least one per queue), or none when the kernel
   * did not offer FUSE over io_uring or a ring cannot be set up; logs why in one line then.
   *
   * @param offered2 flags2 of the kernel's INIT
   */
  static List<IoUring> open(Path mountpoint, int offered2, int workers) {
    String at = Printable.text(mountpoint.toString());
    if ((offered2 & FuseKernel.OVER_IO_URING_FLAG2) == 0) {
      FuseSession.LOG.info("{}: FUSE over io_uring was asked for but the kernel does not offer it "
          + "({}): requests go through /dev/fuse", at, whyNotOffered());
      return List.of();
    }
    int count = Math.max(workers, queues());
    List<IoUring> rings = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        rings.add(IoUring.open(RING_ENTRIES, false));
      }
      return rings;
    } catch (NativeException e) {
      rings.forEach(IoUring::close);
      FuseSession.LOG.warn("{}: FUSE over io_uring is offered but no io_uring could be set up "
          + "({}): requests go through /dev/fuse", at, Printable.line(e.getMessage()));
      return List.of();
    }
  }

  private static String whyNotOffered() {
    try {
      String enabled = Files.readString(ENABLE_URING).trim();
      return "N".equals(enabled)
          ? "the module parameter fuse.enable_uring is off; root can turn it on: "
              + "echo 1 > " + ENABLE_URING
          : "fuse.enable_uring is " + enabled;
    } catch (IOException e) {
      return "no " + ENABLE_URING + ": a kernel before 6.14 or without CONFIG_FUSE_IO_URING";
    }
  }

  /**
   * The kernel's number of queues, {@code num_possible_cpus()}: the CPUs listed in
   * {@code /sys/devices/system/cpu/possible} ({@code "0-3"}: 4, {@code "0,2-5"}: 5). Read once:
   * the possible CPUs are fixed at boot, and a mount asks for the rings' count and the workers'
   * queue numbers.
   */
  static int queues() {
    return PossibleCpus.COUNT;
  }

  /** The count {@link #queues} answers, read when first asked for. */
  private static final class PossibleCpus {
    static final int COUNT = read();

    private static int read() {
      try {
        return possibleCpus(Files.readString(POSSIBLE_CPUS));
      } catch (IOException | RuntimeException e) {
        return Runtime.getRuntime().availableProcessors();
      }
    }
  }

  static int possibleCpus(String list) {
    int count = 0;
    for (String part : list.trim().split(",")) {
      int dash = part.indexOf('-');
      int first = Integer.parseInt((dash < 0 ? part : part.substring(0, dash)).trim());
      int last = dash < 0 ? first : Integer.parseInt(part.substring(dash + 1).trim());
      count += last - first + 1;
    }
    if (count < 1) {
      throw new IllegalArgumentException("no CPU in " + list);
    }
    return count;
  }
}
