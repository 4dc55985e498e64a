package org.refcache.fuse.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The device ({@code major:minor} in {@code /proc/self/mountinfo}) of the topmost mount at a
 * path, read without touching the mounted file system: a dead FUSE mount answers ENOTCONN (or
 * from the kernel's caches), mountinfo does not. It tells a session whether the mount at its
 * mountpoint is still its own.
 */
final class MountDevice {

  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountDevice() {
  }

  /** The device of the topmost mount at {@code dir}, or null if nothing is mounted there. */
  static String at(Path dir) {
    String wanted = dir.toAbsolutePath().normalize().toString();
    String device = null;
    try {
      for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
        String[] fields = line.split(" ");
        if (fields.length > 4 && unescape(fields[4]).equals(wanted)) {
          device = fields[2]; // later lines are mounted on top of earlier ones
        }
      }
    } catch (IOException e) {
      return null;
    }
    return device;
  }

  /** mountinfo writes space, tab, newline and backslash in paths as {@code \ooo}. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
