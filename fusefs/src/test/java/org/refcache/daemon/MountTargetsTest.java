package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.protocol.ErrorKind;

/**
 * {@link MountTargets} on plain directories (no view mounted): what a path's name and its symlinks say.
 * The tests with a live FUSE view, other bind mounts and the CLI are in {@link MountTargetTest}.
 */
class MountTargetsTest {
  @TempDir
  Path dir;
  private Path root;
  private Path mountpoint;
  private Path socket;
  private MountTargets targets;

  @BeforeEach
  void layout() throws Exception {
    root = Files.createDirectories(dir.resolve("state"));
    mountpoint = Files.createDirectories(root.resolve("mnt")); // the default: <root>/mnt
    socket = Files.createDirectories(dir.resolve("run")).resolve("refcache.sock");
    Files.createFile(socket);
    targets = new MountTargets(root, mountpoint, socket);
  }

  @Test
  void aDirectoryBesideTheGuardedPlacesIsAllowed() throws Exception {
    assertThat(targets.refusal(Files.createDirectories(dir.resolve("rootfs")))).isEmpty();
    assertThat(targets.refusal(Files.createDirectories(socket.resolveSibling("beside-the-socket")))).isEmpty();
  }

  @Test
  void theMountpointUnderTheRootIsNamedAsTheView() {
    assertThat(targets.refusal(mountpoint)).hasValueSatisfying(why -> assertThat(why)
        .isEqualTo("cannot mount onto " + mountpoint + ": it is the FUSE view at " + mountpoint
            + "; a mount there would hide the view, or part of it, from everyone using it"));
    assertThat(targets.refusal(root)).hasValueSatisfying(why -> assertThat(why)
        .contains("it holds the FUSE view at " + mountpoint));
  }

  /** A stale mount answers ENOTCONN and cannot be resolved: its name still tells. */
  @Test
  void aPathThatDoesNotResolveIsJudgedByItsName() {
    assertThat(targets.refusal(mountpoint.resolve("refs/abc/gone"))).hasValueSatisfying(why -> assertThat(why)
        .contains("it lies inside the FUSE view"));
    assertThat(targets.refusal(dir.resolve("state/../state/layers/gone"))).hasValueSatisfying(why -> assertThat(why)
        .contains("cannot mount onto " + root.resolve("layers/gone") + ": it lies inside the state root"));
    assertThat(targets.refusal(dir.resolve("elsewhere/gone"))).isEmpty();
  }

  @Test
  void aSymlinkIsJudgedByWhereItLeadsAndNamedAsGiven() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), root.resolve("mnt"));
    Path real = mountpoint.toRealPath();
    assertThat(targets.refusal(link)).hasValueSatisfying(why -> assertThat(why)
        .startsWith("cannot mount onto " + link + " (" + real + "): it is the FUSE view"));
  }

  @Test
  void theSocketsDirectoryAndAboveAreRefused() {
    assertThat(targets.refusal(socket.getParent())).hasValueSatisfying(why -> assertThat(why)
        .contains("it holds the control socket " + socket).contains("cut every client off"));
  }

  @Test
  void aRelativePathIsAUsageError() {
    assertThatThrownBy(() -> targets.requireAllowed(Path.of("rootfs")))
        .isInstanceOfSatisfying(ControlException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.USAGE))
        .hasMessageContaining("not an absolute path");
  }
}
