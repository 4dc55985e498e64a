package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * The real-file operations of the union: reading overlay markers, writing whiteouts and opaque
 * directories, and copying an entry between layers with everything overlayfs keeps on copy-up
 * (content, type, mode including setuid/setgid/sticky, owner, nanosecond times, xattrs). Nothing
 * here follows a symbolic link.
 *
 * <p>Every call on a real file goes through {@link Posix}, never {@code java.nio.file}: names
 * are byte strings ({@link org.refcache.posix.FileNames}), which {@code java.nio.file} would
 * re-encode, and real paths (a layer's or upper's directory followed by the union path) can be
 * longer than PATH_MAX when the union path is not, which {@link Posix} handles.
 */
final class LayerFiles {

  private LayerFiles() {
  }

  /** Creates directory {@code dir} (mode 0777 less the umask); fails if anything is there. */
  static void createDirectory(Path dir) throws IOException {
    Posix.mkdir(dir, 0777);
  }

  /** Creates the empty regular file {@code file}; fails if anything is there. */
  static void createFile(Path file) throws IOException {
    Descriptors.close(Descriptors.open(file, CREATE_NEW, 0666));
  }

  /**
   * Creates the empty regular file {@code file} with its owner and mode (07777 bits) and returns a
   * descriptor of it open for reading and writing ({@code O_RDWR}, no other flag but
   * {@code O_CLOEXEC}), which the caller closes. Fails if anything is there; on a later failure
   * the file is removed again and the descriptor closed.
   *
   * <p>Where {@code open(2)} alone gives the file what is asked, one call makes it: the owner is
   * this process's (its effective uid and gid, as for a root caller of a root daemon), the parent
   * is not setgid (which would give the file the parent's group) and the mode has no
   * setuid/setgid/sticky bit and is not narrowed by the umask. Otherwise it is made with no
   * permission bits, then given its owner, then its mode (a chown clears setuid and setgid).
   * Either way the file never has more rights than asked: between the steps it is the daemon's
   * and unreadable to others, so a crash there leaves at worst an empty file of root's, mode 0000.
   *
   * @param setgidParent whether the parent directory is setgid
   */
  static int createOwnedFile(Path file, int mode, int uid, int gid, boolean setgidParent)
      throws IOException {
    int permissions = mode & 07777;
    if (ownedAtCreation(permissions, uid, gid, setgidParent)) {
      return Descriptors.open(file, CREATE_OPEN, permissions);
    }
    int fd = Descriptors.open(file, CREATE_OPEN, 0);
    try {
      int rc = Descriptors.fchown(fd, uid, gid);
      String call = "fchown";
      if (rc == 0) {
        rc = Descriptors.fchmod(fd, permissions);
        call = "fchmod";
      }
      if (rc < 0) {
        throw ErrnoMapper.toException(call, -rc, file.toString(), null);
      }
      return fd;
    } catch (IOException | RuntimeException e) {
      Descriptors.close(fd);
      try {
        delete(file);
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * Whether {@code open(O_CREAT)} with {@code permissions} makes a file with exactly that mode,
   * owned by {@code uid}/{@code gid}, so that no {@code fchown} or {@code fchmod} is needed.
   */
  static boolean ownedAtCreation(int permissions, int uid, int gid, boolean setgidParent) {
    return !setgidParent && (permissions & 07000) == 0
        && CreationMask.UMASK >= 0 && (permissions & CreationMask.UMASK) == 0
        && uid == CreationMask.EUID && gid == CreationMask.EGID;
  }

  /** What this process gives a file it creates: its umask and effective ids, read once. */
  private static final class CreationMask {
    /** The umask (nothing here changes it), or -1 if unknown: then every create sets its mode. */
    static final int UMASK = readUmask();
    static final int EUID = Posix.geteuid();
    static final int EGID = Posix.getegid();

    private static int readUmask() {
      try {
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Umask:")) {
            return Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
          }
        }
      } catch (IOException | RuntimeException e) {
        // older kernels: unknown
      }
      return -1;
    }
  }

  /**
   * Creates directory {@code dir} with its owner and mode, as {@link #createOwnedFile} does a
   * file: no permission bits until the owner is set; removed again on failure.
   */
  static void createOwnedDirectory(Path dir, int mode, int uid, int gid) throws IOException {
    Posix.mkdir(dir, 0);
    try {
      Posix.lchown(dir, uid, gid);
      Posix.chmod(dir, mode & 07777);
    } catch (IOException | RuntimeException e) {
      try {
        delete(dir);
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static final int CREATE_NEW =
      Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC;
  /** {@link #CREATE_NEW} for a descriptor kept to read and write the new file. */
  private static final int CREATE_OPEN =
      Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC;

  /** Makes {@code link} a new name of the file {@code existing} (not following a symlink). */
  static void createLink(Path link, Path existing) throws IOException {
    Posix.link(existing, link);
  }

  /** Deletes the file, symlink or empty directory {@code path}. */
  static void delete(Path path) throws IOException {
    Posix.delete(path);
  }

  /** The names in directory {@code dir}, in the order the directory gives them. */
  static List<String> childNames(Path dir) throws IOException {
    return Posix.list(dir);
  }

  /**
   * {@code lstat}, or empty when nothing is at {@code path} (no exception made for that: a
   * lookup of a name about to be created asks this).
   */
  static Optional<Stat> lstatIfExists(Path path) throws IOException {
    return Optional.ofNullable(Posix.lstatOrNull(path));
  }

  /** Whether the directory at {@code dir} carries the opaque marker. */
  static boolean isOpaque(Path dir) throws IOException {
    return OverlayFormat.isOpaque(dir);
  }

  static void setOpaque(Path dir) throws IOException {
    OverlayFormat.markOpaque(dir);
  }

  /** Creates a whiteout (character device 0/0, no permission bits, as the kernel makes them). */
  static void createWhiteout(Path path) throws IOException {
    OverlayFormat.createWhiteout(path);
  }

  /** The extended attribute names of {@code path} without overlay's own. */
  static List<String> visibleXattrNames(Path path) throws IOException {
    List<String> names = new ArrayList<>();
    for (String name : Xattrs.llistxattr(path)) {
      if (!OverlayFormat.isPrivateXattr(name)) {
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
          copyContent(source, target);
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
   * Creates regular file {@code target} with the content of {@code source}, on disk when this
   * returns: as overlayfs does, the copy must be durable before a rename publishes it, or a crash
   * could leave an empty file hiding the lower one.
   */
  private static void copyContent(Path source, Path target) throws IOException {
    int in = Descriptors.open(source, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, 0);
    try {
      int out = Descriptors.open(target, CREATE_NEW, 0600);
      try {
        long copied = Descriptors.copyFileRange(in, out);
        if (copied < 0) {
          copyThroughChannels(in, out, target, (int) -copied);
        }
        int rc = Descriptors.fsync(out);
        if (rc < 0) {
          throw ErrnoMapper.toException("fsync", -rc, target.toString(), null);
        }
      } finally {
        Descriptors.close(out);
      }
    } finally {
      Descriptors.close(in);
    }
  }

  /** The copy where the kernel cannot copy between the two files itself. */
  private static void copyThroughChannels(int in, int out, Path target, int errno)
      throws IOException {
    boolean cannot = errno == Errno.EXDEV || errno == Errno.EOPNOTSUPP || errno == Errno.ENOSYS
        || errno == Errno.EINVAL;
    if (!cannot) {
      throw ErrnoMapper.toException("copy_file_range", errno, target.toString(), null);
    }
    // The descriptors' own files, reopened by their /proc names (ASCII, whatever the names).
    try (FileChannel from = FileChannel.open(Path.of("/proc/self/fd/" + in),
             StandardOpenOption.READ);
         FileChannel to = FileChannel.open(Path.of("/proc/self/fd/" + out),
             StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      long size = from.size();
      for (long done = 0; done < size; ) {
        long n = from.transferTo(done, size - done, to);
        if (n <= 0) {
          break; // the source shrank under us: copy what there is
        }
        done += n;
      }
    }
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
      Optional<byte[]> value = Xattrs.lgetxattr(source, name);
      if (value.isPresent()) {
        Xattrs.lsetxattr(target, name, value.get(), 0);
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
        } else if (stat.nlink() > 1 && !OverlayFormat.isWhiteout(stat)) {
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
