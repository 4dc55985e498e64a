package org.refcache.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.refcache.posix.Mounting;

/**
 * The last line of a test's teardown, and what its assertions on mounts read: the mounts under a
 * directory, read from {@code /proc/self/mounts} independently of the code under test.
 */
public final class Mounts {
  private Mounts() {}

  /** Mount points at or below {@code dir}, deepest first. */
  public static List<Path> under(Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    return Files.readAllLines(Path.of("/proc/self/mounts"), StandardCharsets.UTF_8).stream()
        .map(line -> line.split(" "))
        .filter(fields -> fields.length > 2)
        .map(fields -> Path.of(unescape(fields[1])))
        .filter(mountpoint -> mountpoint.startsWith(root))
        .distinct()
        .sorted(Comparator.comparingInt(Path::getNameCount).reversed())
        .toList();
  }

  /**
   * Lazily detaches every mount at or below {@code dir}, deepest first, until none is left; returns
   * the mounts it found (empty when the code under test cleaned up after itself).
   */
  public static List<Path> detachAllUnder(Path dir) throws IOException {
    List<Path> found = under(dir);
    List<Path> left = found;
    for (int round = 0; round < 16 && !left.isEmpty(); round++) {
      for (Path mountpoint : left) {
        try {
          Mounting.umount(mountpoint, Mounting.MNT_DETACH);
        } catch (IOException e) {
          // Already gone with its parent: the next round re-reads the table.
        }
      }
      left = under(dir);
    }
    if (!left.isEmpty()) {
      throw new IOException("mounts under " + dir + " would not go: " + left);
    }
    return new ArrayList<>(found);
  }

  /** A mount point as the kernel writes it: space, tab, newline and backslash as {@code \ooo}. */
  static String unescape(String field) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] raw = field.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '\\' && i + 3 < raw.length && isOctal(raw[i + 1]) && isOctal(raw[i + 2])
          && isOctal(raw[i + 3])) {
        bytes.write((raw[i + 1] - '0') * 64 + (raw[i + 2] - '0') * 8 + (raw[i + 3] - '0'));
        i += 3;
      } else {
        bytes.write(raw[i]);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(byte b) {
    return b >= '0' && b <= '7';
  }
}
