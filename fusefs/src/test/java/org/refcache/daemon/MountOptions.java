package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.refcache.fuse.MountTable;

/** The per-mount options the kernel shows for a mount point, as {@code /proc/self/mountinfo} lists them. */
final class MountOptions {
  private MountOptions() {}

  /** The options (field 6: {@code rw,nosuid,nodev,relatime}) of the topmost mount at {@code mountPoint}. */
  static List<String> at(Path mountPoint) throws IOException {
    Path at = mountPoint.toAbsolutePath().normalize();
    List<String> options = null;
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
      String[] fields = line.split(" ");
      if (Path.of(MountTable.unescape(fields[4])).equals(at)) {
        options = List.of(fields[5].split(","));
      }
    }
    assertThat(options).as("a mount at %s", at).isNotNull();
    return options;
  }
}
