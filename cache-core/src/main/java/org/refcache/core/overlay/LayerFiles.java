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
import org.refcache.posix.ShortPath;
import org.refcache.posix.Stat;

/**
 * The real-file operations of the union: reading overlay markers, writing whiteouts and opaque
 * directories, and copying an entry between layers with everything overlayfs keeps on copy-up
 * (content, type, mode including setuid/setgid/sticky, owner, nanosecond times, xattrs). Nothing
 * here follows a symbolic link.
 *
 * <p>Real paths are a layer's or upper's directory followed by the union path, so they can be
 * longer than PATH_MAX when the union path is not: every {@code java.nio.file} call on one goes
 * through a {@link ShortPath} here ({@link Posix} does the same for its own calls).
 */
final class LayerFiles {

  private LayerFiles() {
  }

  /** Creates directory {@code dir} (mode 0777 less the umask); fails if anything is there. */
  static void createDirectory(Path dir) throws IOException {
    try (ShortPath at = ShortPath.of(dir)) {
      Files.createDirectory(at.path());
    }
  }

  /** Creates the empty regular file {@code file}; fails if anything is there. */
  static void createFile(Path file) throws IOException {
    try (ShortPath at = ShortPath.of(file)) {
      Files.createFile(at.path());
    }
  }

  /** Makes {@code link} a new name of the file {@code existing} (not following a symlink). */
  static void createLink(Path link, Path existing) throws IOException {
    try (ShortPath to = ShortPath.of(link); ShortPath from = ShortPath.of(existing)) {
      Files.createLink(to.path(), from.path());
    }
  }

  /** Deletes the file, symlink or empty directory {@code path}. */
  static void delete(Path path) throws IOException {
    try (ShortPath at = ShortPath.of(path)) {
      Files.delete(at.path());
    }
  }

  /** The names in directory {@code dir}, in the order the directory gives them. */
  static List<String> childNames(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (ShortPath at = ShortPath.of(dir);
         DirectoryStream<Path> entries = Files.newDirectoryStream(at.path())) {
      for (Path entry : entries) {
        names.add(entry.getFileName().toString());
      }
    }
    return names;
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
      case Posix.S_IFDIR -> createDirectory(target);
      case Posix.S_IFREG -> {
        if (withContent) {
          try (ShortPath from = ShortPath.of(source); ShortPath to = ShortPath.of(target)) {
            Files.copy(from.path(), to.path(), LinkOption.NOFOLLOW_LINKS);
            // As overlayfs does: the copy must be on disk before a rename publishes it, or a
            // crash could leave an empty file hiding the lower one.
            try (FileChannel channel = FileChannel.open(to.path(), StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
              channel.force(true);
            }
          }
        } else {
          createFile(target);
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
      deleteChildren(path);
    }
    delete(path);
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
      for (String name : childNames(dir)) {
        Path child = dir.resolve(name);
        String path = prefix + name;
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
    for (String name : childNames(dir)) {
      deleteTree(dir.resolve(name));
    }
  }
}
