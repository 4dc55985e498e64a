package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.refcache.protocol.ErrorKind;

/**
 * Where {@code refcache mount} may bind a ref: nowhere a mount would hide or shadow what the service
 * serves or lives on. Refused are
 * <ul>
 *   <li>the FUSE view: its mountpoint, anything inside it (a ref's directory, or a bind mount of a ref:
 *       a mount there would also show inside the view wherever mount propagation carries it) and every
 *       directory that holds the mountpoint;</li>
 *   <li>the state root, anything inside it and every directory that holds it: the service opens files
 *       there by path (the held state, blobs, layers, uppers);</li>
 *   <li>every directory that holds the control socket: clients could no longer reach the service.</li>
 * </ul>
 *
 * <p>Paths are compared after resolving symlinks. The same directory can also be reached by a path no
 * resolving turns into the guarded one (another bind mount of the view or the root, {@code /proc/PID/root}
 * of another mount namespace), so directories are compared by identity too: the target's device and inode
 * against the guarded place and each directory above it, each directory from the target up against the
 * guarded place, and for the view, the target's device against the view's (one FUSE file system).
 */
public final class MountTargets {
  /**
   * A place the service needs to stay visible.
   *
   * @param label how a message names it, with its path
   * @param path where it is configured
   * @param insideToo whether a mount inside it hides it too (not so for a socket file)
   * @param oneFileSystem whether everything on its device lies inside it (the FUSE view)
   * @param consequence what a mount there would do, for the message
   */
  private record Guarded(String label, Path path, boolean insideToo, boolean oneFileSystem, String consequence) {}

  /** A directory's identity: what a bind mount or a second path to it has in common with it. */
  private record Identity(long dev, long ino) {}

  private final List<Guarded> guarded;

  /**
   * @param root the state root
   * @param mountpoint the FUSE view's mountpoint
   * @param socket the control socket
   */
  public MountTargets(Path root, Path mountpoint, Path socket) {
    this.guarded = List.of(
        new Guarded("the FUSE view at " + mountpoint, mountpoint, true, true,
            "a mount there would hide the view, or part of it, from everyone using it"),
        new Guarded("the state root " + root, root, true, false,
            "a mount there would hide the service's own files from it"),
        new Guarded("the control socket " + socket, socket, false, false,
            "a mount there would cut every client off from the service"));
  }

  public static MountTargets of(DaemonConfig config) {
    return new MountTargets(config.root(), config.mountpoint(), config.socket());
  }

  /**
   * Refuses {@code dir} when a bind mount there would hide or shadow a guarded place.
   *
   * @param dir an absolute path, as the client named it (resolved here when it can be)
   * @throws ControlException {@link ErrorKind#USAGE}, naming {@code dir} and why
   */
  public void requireAllowed(Path dir) {
    refusal(dir).ifPresent(why -> {
      throw new ControlException(ErrorKind.USAGE, why);
    });
  }

  /**
   * Why {@code dir} is refused, or empty when it is allowed. A path that cannot be resolved (missing, or a
   * stale mount answering ENOTCONN) is judged by its name alone.
   */
  public Optional<String> refusal(Path dir) {
    if (!dir.isAbsolute()) {
      return Optional.of("cannot mount onto " + dir + ": not an absolute path");
    }
    Path given = dir.normalize();
    Path real = resolved(given);
    List<Identity> targetUp = identitiesUp(real);
    for (Guarded g : guarded) {
      String relation = relation(real, targetUp, g);
      if (relation != null) {
        String shown = real.equals(given) ? given.toString() : given + " (" + real + ")";
        return Optional.of("cannot mount onto " + shown + ": " + relation + g.label() + "; " + g.consequence());
      }
    }
    return Optional.empty();
  }

  /**
   * How the directory {@code real} (its identity and those above it: {@code targetUp}) stands to {@code g}
   * when a mount there would hide it ("it is ", "it holds ", "it lies inside "), else null.
   */
  private static String relation(Path real, List<Identity> targetUp, Guarded g) {
    Path place = resolved(g.path());
    List<Identity> placeUp = identitiesUp(place);
    Identity target = targetUp.isEmpty() ? null : targetUp.get(0);
    Identity self = placeUp.isEmpty() ? null : placeUp.get(0);
    if (real.equals(place) || (target != null && target.equals(self))) {
      return "it is ";
    }
    if (place.startsWith(real) || (target != null && placeUp.contains(target))) {
      return "it holds ";
    }
    if (!g.insideToo()) {
      return null;
    }
    // Only while the place is a file system of its own (the view mounted): else its device is its parent's.
    boolean ownFileSystem = placeUp.size() > 1 && placeUp.get(0).dev() != placeUp.get(1).dev();
    boolean onItsFileSystem = g.oneFileSystem() && ownFileSystem && target != null && target.dev() == self.dev();
    if (real.startsWith(place) || (self != null && targetUp.contains(self)) || onItsFileSystem) {
      return "it lies inside ";
    }
    return null;
  }

  /** {@code p} with symlinks resolved, or as it is when it cannot be. */
  private static Path resolved(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p;
    }
  }

  /** The identities of {@code p} and each directory above it, as far as they can be read. */
  private static List<Identity> identitiesUp(Path p) {
    List<Identity> out = new ArrayList<>();
    for (Path d = p; d != null; d = d.getParent()) {
      try {
        Map<String, Object> a = Files.readAttributes(d, "unix:dev,ino");
        out.add(new Identity((Long) a.get("dev"), (Long) a.get("ino")));
      } catch (IOException | UnsupportedOperationException e) {
        break;
      }
    }
    return out;
  }
}
