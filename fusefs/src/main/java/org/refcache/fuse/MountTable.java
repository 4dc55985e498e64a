package org.refcache.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mounts this process sees, from {@code /proc/self/mounts}, whose fields escape space, tab,
 * newline and backslash as octal ({@code \040}).
 */
final class MountTable {

  private static final Path MOUNTS = Path.of("/proc/self/mounts");

  /**
   * One mount.
   *
   * @param source     what is mounted ({@code refcache} for the view)
   * @param mountpoint where
   * @param type       the filesystem type ({@code fuse.refcache} for the view)
   */
  record Mount(String source, Path mountpoint, String type) {
  }

  private MountTable() {
  }

  static List<Mount> read() throws IOException {
    List<Mount> mounts = new ArrayList<>();
    for (String line : Files.readAllLines(MOUNTS, StandardCharsets.UTF_8)) {
      String[] fields = line.split(" ");
      if (fields.length >= 3) {
        mounts.add(new Mount(unescape(fields[0]), Path.of(unescape(fields[1])), fields[2]));
      }
    }
    return mounts;
  }

  /** Whether something is mounted exactly at {@code path} (absolute and normalized). */
  static boolean isMountPoint(Path path) throws IOException {
    for (Mount mount : read()) {
      if (mount.mountpoint().equals(path)) {
        return true;
      }
    }
    return false;
  }

  static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && isOctal(field, i + 1)) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '7') {
        return false;
      }
    }
    return true;
  }
}
