package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.refcache.posix.Posix;

/** Test safety net: whatever happens, no mount stays behind under a test's directory. */
final class Mounts {

  private Mounts() {
  }

  /** Mount points at or below {@code dir}. */
  static List<Path> under(Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    List<Path> found = new ArrayList<>();
    for (MountTable.Mount mount : MountTable.read()) {
      if (mount.mountPoint().startsWith(root)) {
        found.add(mount.mountPoint());
      }
    }
    return found;
  }

  /** Lazily unmounts everything at or below {@code dir}, deepest first; returns what it found. */
  static List<Path> detachAllUnder(Path dir) throws IOException {
    List<Path> found = under(dir);
    List<Path> deepestFirst = new ArrayList<>(found);
    deepestFirst.sort((a, b) -> b.getNameCount() - a.getNameCount());
    for (Path mountpoint : deepestFirst) {
      try {
        Posix.umount(mountpoint, Posix.MNT_DETACH);
      } catch (IOException ignored) {
        // gone meanwhile
      }
    }
    return found;
  }
}
