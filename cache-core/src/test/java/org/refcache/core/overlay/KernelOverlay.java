package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A kernel overlayfs mount of given lowers and upper, for checking that our upper is a valid
 * overlayfs upperdir (tests run as root). The work directory is fresh and next to the upper, on
 * the same filesystem as overlayfs requires. {@link #close()} unmounts.
 */
final class KernelOverlay implements AutoCloseable {

  private final Path mountpoint;
  private boolean mounted;

  private KernelOverlay(Path mountpoint) {
    this.mountpoint = mountpoint;
  }

  static KernelOverlay mount(List<Path> lowersTopFirst, Path upper, Path base) throws IOException {
    Path work = Files.createDirectories(base.resolve("kernel-work-" + System.nanoTime()));
    Path mountpoint = Files.createDirectories(base.resolve("kernel-mnt-" + System.nanoTime()));
    String lowerdir = lowersTopFirst.stream().map(Path::toString).collect(Collectors.joining(":"));
    String options = "lowerdir=" + lowerdir + ",upperdir=" + upper + ",workdir=" + work;
    run("mount", "-t", "overlay", "overlay", "-o", options, mountpoint.toString());
    KernelOverlay overlay = new KernelOverlay(mountpoint);
    overlay.mounted = true;
    return overlay;
  }

  Path mountpoint() {
    return mountpoint;
  }

  @Override
  public void close() throws IOException {
    if (mounted) {
      mounted = false;
      run("umount", mountpoint.toString());
    }
  }

  private static void run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
          + output);
    }
  }
}
