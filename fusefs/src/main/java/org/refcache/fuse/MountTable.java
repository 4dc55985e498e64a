package org.refcache.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.refcache.posix.FileNames;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mounts this process sees ({@code /proc/self/mountinfo}), and the lazy unmount that clears the ones
 * a crashed service left behind.
 */
public final class MountTable {
  private static final Logger LOG = LoggerFactory.getLogger(MountTable.class);
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  /**
   * One line of mountinfo.
   *
   * @param mountPoint where
   * @param fsType the filesystem type ({@code fuse.refcache} for the view)
   * @param source what is mounted ({@code refcache} for the view)
   */
  public record Mount(Path mountPoint, String fsType, String source) {}

  private MountTable() {}

  /** Every mount, in mount order. */
  public static List<Mount> read() throws IOException {
    List<Mount> out = new ArrayList<>();
    for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
      String[] f = line.split(" ");
      int sep = indexOf(f, "-");
      if (f.length < 5 || sep < 0 || sep + 2 >= f.length) {
        continue;
      }
      out.add(new Mount(Path.of(unescape(f[4])), f[sep + 1], unescape(f[sep + 2])));
    }
    return out;
  }

  /** The mounts at exactly {@code dir}, oldest first (several may be stacked). */
  public static List<Mount> at(Path dir) throws IOException {
    Path d = dir.toAbsolutePath().normalize();
    return read().stream().filter(m -> m.mountPoint().equals(d)).toList();
  }

  /** Whether something is mounted at {@code dir}. */
  public static boolean isMountPoint(Path dir) throws IOException {
    return !at(dir).isEmpty();
  }

  /**
   * Detaches ({@code umount2(MNT_DETACH)}) everything mounted at {@code dir}, stacked mounts included, and
   * returns how many mounts went. Used at start for mounts left by a crash: a dead FUSE server's mount
   * only answers ENOTCONN, and a detached one vanishes from the tree at once.
   */
  public static int detachAt(Path dir) throws IOException {
    int n = 0;
    for (int guard = 0; guard < 64 && isMountPoint(dir); guard++) {
      LOG.info("detaching stale mount at {}", Printable.text(dir.toString()));
      // Mount points are text here (mountinfo, clients); Posix takes a name's bytes.
      Mounting.umount(Path.of(FileNames.fromText(dir.toString())), Mounting.MNT_DETACH);
      n++;
    }
    return n;
  }

  private static int indexOf(String[] f, String s) {
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals(s)) {
        return i;
      }
    }
    return -1;
  }

  /** mountinfo writes space, tab, newline and backslash as {@code \ooo} octal escapes. */
  public static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) {
      return false;
    }
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
