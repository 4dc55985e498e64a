package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.refcache.fuse.MountPrivileges;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state root and the mountpoint belong to the service alone (mode 0700). Below the root,
 * {@code layers/} and {@code uppers/} hold the refs' files as they are, setuid programs and device
 * nodes included, on the root's own file system, where no mount flag of the view applies: a user
 * who could walk into the root could run them. So the root is made 0700, and an existing one that
 * lets others in is closed (when the service's user owns it) or warned about.
 */
final class PrivateDirectories {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateDirectories.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static final int OTHERS_MAY_SEARCH = 0011;

  private PrivateDirectories() {}

  /**
   * Creates {@code dir} with mode 0700 (missing parents get the usual mode); an existing one is left
   * as it is.
   *
   * @return whether it was created
   */
  static boolean create(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return false;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      if (Files.isDirectory(dir)) {
        return false; // made meanwhile by someone else: theirs to decide
      }
      throw e;
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY); // not left to the umask
    return true;
  }

  /**
   * Creates the state root 0700, or closes an existing one that lets group or others in: only when
   * the service's user owns it (a root owned by someone else is their business, and is only warned
   * about).
   */
  static void createRoot(Path root) throws IOException {
    if (create(root)) {
      return;
    }
    Stat s = Posix.lstat(root.toRealPath());
    int open = s.mode() & 0077;
    if (open == 0) {
      return;
    }
    String mode = String.format("%04o", s.mode() & 07777);
    if (s.uid() == Posix.geteuid()) {
      Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(root));
      perms.retainAll(OWNER_ONLY);
      Files.setPosixFilePermissions(root, perms);
      LOG.warn("the state root {} was mode {}: made it {}; below it, refs' setuid programs and device"
          + " nodes sit on a file system without nosuid,nodev", root, mode,
          PosixFilePermissions.toString(perms));
    } else {
      LOG.warn("the state root {} is mode {} and owned by uid {}, not by this service: refs' setuid"
          + " programs and device nodes below it may be reachable by other users; make it 0700", root, mode,
          s.uid());
    }
  }

  /**
   * Warns when another user can walk to the view or into the state root: every directory on the way
   * lets them through (mode bits only; ACLs are not read).
   */
  static void warnIfReachable(Path root, Path mountpoint, MountPrivileges view) throws IOException {
    Path mountParent = mountpoint.toAbsolutePath().getParent();
    if (mountParent != null && reachableByOthers(mountParent).isPresent()) {
      LOG.warn("the ref view at {} is reachable by other users (no directory from / to {} shuts them out);"
          + " it is mounted {}{}", mountpoint, mountParent, view.options(), view.equals(MountPrivileges.NONE)
          ? "" : ": anyone there can use its setuid programs or device nodes");
    }
    reachableByOthers(root).ifPresent(r -> LOG.warn("the state root {} is reachable by other users (no"
        + " directory from / to it shuts them out)", root));
  }

  /**
   * The real path of {@code dir} if no directory from {@code /} down to it (itself included) shuts out
   * users other than the service's: one shuts them out when the service's user owns it and neither
   * group nor others may search it. Empty when one does, or when {@code dir} does not exist.
   */
  static Optional<Path> reachableByOthers(Path dir) throws IOException {
    Path real;
    try {
      real = dir.toRealPath();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    int self = Posix.geteuid();
    Path step = real.getRoot();
    for (int i = -1; i < real.getNameCount(); i++) {
      if (i >= 0) {
        step = step.resolve(real.getName(i));
      }
      Stat s = Posix.lstat(step);
      if (s.uid() == self && (s.mode() & OTHERS_MAY_SEARCH) == 0) {
        return Optional.empty();
      }
    }
    return Optional.of(real);
  }
}
