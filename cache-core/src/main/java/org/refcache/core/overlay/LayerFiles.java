package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * The real-file operations of the union: reading overlay markers, writing whiteouts and opaque
 * directories, and copying an entry between layers with everything overlayfs keeps on copy-up
 * (content, type, mode including setuid/setgid/sticky, owner, nanosecond times, xattrs). Nothing
 * here follows a symbolic link.
 */
final class LayerFiles {

  private LayerFiles() {
  }

  /** {@code lstat}, or empty when nothing is at {@code path}. */
  static Optional<Stat> lstatIfExists(Path path) throws IOException {
    try {
      return Optional.of(Posix.lstat(path));
    } catch (NoSuchFileException absent) {
      return Optional.empty();
    }
  }

  /** Whether the directory at {@code dir} carries the opaque marker. */
  static boolean isOpaque(Path dir) throws IOException {
    return OverlayConventions.isOpaqueValue(
        Posix.lgetxattr(dir, OverlayConventions.OPAQUE_XATTR));
  }

  static void setOpaque(Path dir) throws IOException {
    Posix.lsetxattr(dir, OverlayConventions.OPAQUE_XATTR, OverlayConventions.OPAQUE_VALUE, 0);
  }

  /** Creates a whiteout (character device 0/0, no permission bits, as the kernel makes them). */
  static void createWhiteout(Path path) throws IOException {
    Posix.mknod(path, Posix.S_IFCHR, OverlayConventions.WHITEOUT_RDEV);
  }

  /** The extended attribute names of {@code path} without overlay's own. */
  static List<String> visibleXattrNames(Path path) throws IOException {
    List<String> names = new ArrayList<>();
    for (String name : Posix.llistxattr(path)) {
      if (!OverlayConventions.isPrivateXattr(name)) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * Creates at {@code target} a copy of the entry {@code source} described by {@code stat}: a
   * directory without its children, a regular file with its content (fsynced) unless
   * {@code withContent} is false, a symlink with its target, a device, FIFO or socket with its
   * type and device number; then its {@linkplain #copyAttributes attributes}. Fails if
   * {@code target} exists.
   */
  static void copyEntry(Path source, Stat stat, Path target, boolean withContent)
      throws IOException {
    switch (stat.type()) {
      case Posix.S_IFDIR -> Files.createDirectory(target);
      case Posix.S_IFREG -> {
        if (withContent) {
          Files.copy(source, target, LinkOption.NOFOLLOW_LINKS);
          // As overlayfs does: the copy must be on disk before a rename publishes it, or a crash
          // could leave an empty file hiding the lower one.
          try (FileChannel channel = FileChannel.open(target, StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)) {
            channel.force(true);
          }
        } else {
          Files.createFile(target);
        }
      }
      case Posix.S_IFLNK -> Posix.symlink(Posix.readlink(source), target);
      case Posix.S_IFCHR, Posix.S_IFBLK, Posix.S_IFIFO, Posix.S_IFSOCK ->
          Posix.mknod(target, stat.type() | 0600, stat.rdev());
      default -> throw new IOException("cannot copy " + source + ": unknown file type 0"
          + Integer.toOctalString(stat.type()));
    }
    copyAttributes(source, stat, target);
  }

  /**
   * Gives {@code target} the owner, mode, extended attributes (overlay's own excepted) and
   * access/modification times of {@code source}. The order matters: {@code chown} clears setuid
   * and setgid, so the mode comes after it; writing content or attributes changes times, so they
   * come last.
   */
  static void copyAttributes(Path source, Stat stat, Path target) throws IOException {
    Posix.lchown(target, stat.uid(), stat.gid());
    if (!stat.isSymlink()) {
      Posix.chmod(target, stat.permissions());
    }
    for (String name : visibleXattrNames(source)) {
      Optional<byte[]> value = Posix.lgetxattr(source, name);
      if (value.isPresent()) {
        Posix.lsetxattr(target, name, value.get(), 0);
      }
    }
    setTimes(target, stat);
  }

  /** Gives {@code target} the access and modification times in {@code stat}, without following. */
  static void setTimes(Path target, Stat stat) throws IOException {
    Posix.utimens(target, stat.atime(), stat.mtime(), true);
  }

  /** Deletes {@code path} and, for a directory, everything below it, following no link. */
  static void deleteTree(Path path) throws IOException {
    Stat stat = Posix.lstat(path);
    if (stat.isDirectory()) {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
        entries.forEach(children::add);
      }
      for (Path child : children) {
        deleteTree(child);
      }
    }
    Files.delete(path);
  }

  /**
   * The names of every hard-linked non-directory of a layer (link count over 1), by inode: read
   * once by walking the layer, which never changes.
   */
  static final class HardLinks {

    private final Map<String, List<String>> namesByInode;

    private HardLinks(Map<String, List<String>> namesByInode) {
      this.namesByInode = namesByInode;
    }

    static HardLinks of(Path layer) throws IOException {
      Map<String, List<String>> names = new HashMap<>();
      collect(layer, "", names);
      return new HardLinks(names);
    }

    private static void collect(Path dir, String prefix, Map<String, List<String>> names)
        throws IOException {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        entries.forEach(children::add);
      }
      for (Path child : children) {
        String path = prefix + child.getFileName();
        Stat stat = Posix.lstat(child);
        if (stat.isDirectory()) {
          collect(child, path + "/", names);
        } else if (stat.nlink() > 1 && !OverlayConventions.isWhiteout(stat)) {
          names.computeIfAbsent(key(stat), k -> new ArrayList<>()).add(path);
        }
      }
    }

    /** The union paths of the layer's names of the file {@code stat} describes. */
    List<String> namesOf(Stat stat) {
      return namesByInode.getOrDefault(key(stat), List.of());
    }

    private static String key(Stat stat) {
      return stat.dev() + ":" + stat.ino();
    }
  }

  /** Deletes everything inside the directory {@code dir}, keeping the directory. */
  static void deleteChildren(Path dir) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      entries.forEach(children::add);
    }
    for (Path child : children) {
      deleteTree(child);
    }
  }
}
