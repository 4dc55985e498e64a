package org.refcache.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.refcache.posix.Posix;
import org.refcache.fuse.MountTable;

/**
 * The last line of teardown: lazily detaches every mount under a test's temporary directory, read from
 * {@code /proc/self/mounts} independently of the code under test, deepest first.
 */
public final class MountSafetyNet {
  private MountSafetyNet() {}

  /** Detaches every mount at or below {@code dir}; returns how many there were. */
  public static int detachAllUnder(Path dir) throws IOException {
    Path d = dir.toAbsolutePath().normalize();
    int n = 0;
    for (int round = 0; round < 16; round++) {
      List<Path> points = mountsUnder(d);
      if (points.isEmpty()) {
        return n;
      }
      for (Path p : points) {
        try {
          Posix.umount(p, Posix.MNT_DETACH);
          n++;
        } catch (IOException e) {
          // Already gone with its parent: the next round re-reads the table.
        }
      }
    }
    throw new IOException("mounts under " + d + " would not go: " + mountsUnder(d));
  }

  /** Mount points at or below {@code d}, deepest first. */
  public static List<Path> mountsUnder(Path d) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8).stream()
        .map(l -> l.split(" "))
        .filter(f -> f.length > 2)
        .map(f -> Path.of(MountTable.unescape(f[1])))
        .filter(p -> p.startsWith(d))
        .distinct()
        .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
        .toList();
  }
}
