package org.refcache.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises the readahead of a FUSE mount, so that a sequential read through FUSE's page cache asks
 * for {@link #KIB} at a time (one READ request of up to 1 MiB, the negotiated {@code max_pages})
 * instead of 128 KiB.
 *
 * <p>Why here and not in INIT: the kernel sets a FUSE mount's readahead to the default (128 KiB),
 * offers that as {@code max_readahead} in INIT and takes the smaller of it and the answer
 * ({@code process_init_reply}: {@code ra_pages = min(ra_pages, max_readahead / PAGE_SIZE)}), so
 * INIT can only lower it. The mount's backing device info is writable by root:
 * {@code /sys/class/bdi/<major>:<minor>/read_ahead_kb}, named after the superblock's device
 * ({@code fuse_bdi_init}).
 */
final class MountReadahead {

  private static final Logger LOG = LoggerFactory.getLogger(MountReadahead.class);

  /** The readahead asked for: the largest READ the kernel sends (max_pages 256 of 4 KiB). */
  static final int KIB = 1024;

  private MountReadahead() {
  }

  /** The sysfs file of the readahead of the filesystem mounted at {@code mountpoint}. */
  static Path control(Path mountpoint) throws IOException {
    long dev = (Long) Files.getAttribute(mountpoint, "unix:dev");
    long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    return Path.of("/sys/class/bdi/" + major + ":" + minor + "/read_ahead_kb");
  }

  /**
   * Sets the readahead of the mount at {@code mountpoint} to {@link #KIB}; where that is refused
   * (not root, no sysfs) the mount keeps the kernel's default, logged.
   */
  static void raise(Path mountpoint) {
    try {
      Files.writeString(control(mountpoint), Integer.toString(KIB), StandardCharsets.US_ASCII,
          StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      LOG.info("the readahead of {} stays the kernel's default: {}",
          Printable.text(mountpoint.toString()), Printable.line(e.toString()));
    }
  }

  /** The readahead of the mount at {@code mountpoint} in KiB (tests). */
  static int of(Path mountpoint) throws IOException {
    return Integer.parseInt(Files.readString(control(mountpoint)).trim());
  }
}
