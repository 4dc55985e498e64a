package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * Whether two entries of two trees are the same, as a diff of the trees sees them (spec 5.2): the
 * same file, or equal in type, permission bits, owner, modification time (to the nanosecond),
 * extended attributes (overlay's own excepted), device number, symbolic link target, size and
 * content. The access and change times are not compared: a copy never keeps them.
 */
final class SameEntry {
  private static final int BUFFER = 64 * 1024;

  private SameEntry() {
  }

  /** The very same file (one inode): unchanged without reading anything. */
  static boolean sameFile(Stat a, Stat b) {
    return a.dev() == b.dev() && a.ino() == b.ino();
  }

  /** Equal metadata: everything but the content of a regular file. */
  static boolean sameMetadata(Path realA, Stat a, Path realB, Stat b) throws IOException {
    if (a.mode() != b.mode() || a.uid() != b.uid() || a.gid() != b.gid()
        || !a.mtime().equals(b.mtime())) {
      return false;
    }
    if ((a.isCharDevice() || a.isBlockDevice()) && a.rdev() != b.rdev()) {
      return false;
    }
    if (a.isRegularFile() && a.size() != b.size()) {
      return false;
    }
    if (a.isSymlink() && !Posix.readlink(realA).equals(Posix.readlink(realB))) {
      return false;
    }
    return sameXattrs(realA, realB);
  }

  private static boolean sameXattrs(Path a, Path b) throws IOException {
    List<String> namesA = LayerFiles.visibleXattrNames(a);
    List<String> namesB = LayerFiles.visibleXattrNames(b);
    if (namesA.size() != namesB.size() || !namesA.containsAll(namesB)) {
      return false;
    }
    for (String name : namesA) {
      Optional<byte[]> va = Xattrs.lgetxattr(a, name);
      Optional<byte[]> vb = Xattrs.lgetxattr(b, name);
      if (va.isPresent() != vb.isPresent()
          || (va.isPresent() && !Arrays.equals(va.get(), vb.get()))) {
        return false;
      }
    }
    return true;
  }

  /** Equal bytes of two regular files of equal size. */
  static boolean sameContent(Path a, Path b) throws IOException {
    int fdA = Descriptors.open(a, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    try {
      int fdB = Descriptors.open(b, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
      try (FileChannel ca = FileChannel.open(Path.of("/proc/self/fd/" + fdA), StandardOpenOption.READ);
           FileChannel cb = FileChannel.open(Path.of("/proc/self/fd/" + fdB), StandardOpenOption.READ)) {
        // The descriptors' own files, reopened by their /proc names (ASCII, whatever the names).
        ByteBuffer ba = ByteBuffer.allocate(BUFFER);
        ByteBuffer bb = ByteBuffer.allocate(BUFFER);
        while (true) {
          ba.clear();
          bb.clear();
          int na = fill(ca, ba);
          int nb = fill(cb, bb);
          if (na != nb || !ba.flip().equals(bb.flip())) {
            return false;
          }
          if (na < BUFFER) {
            return true;
          }
        }
      } finally {
        Descriptors.close(fdB);
      }
    } finally {
      Descriptors.close(fdA);
    }
  }

  private static int fill(FileChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        break;
      }
    }
    return b.position();
  }

  /** Same entry for a diff: one file, or equal metadata and (for a regular file) content. */
  static boolean same(Path realA, Stat a, Path realB, Stat b) throws IOException {
    if (sameFile(a, b)) {
      return true;
    }
    if (!sameMetadata(realA, a, realB, b)) {
      return false;
    }
    return !a.isRegularFile() || sameContent(realA, realB);
  }
}
