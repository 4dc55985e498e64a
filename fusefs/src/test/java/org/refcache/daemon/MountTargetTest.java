package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountTable;
import org.refcache.protocol.ControlProtocol;
import org.refcache.testing.Mounts;
import org.slf4j.LoggerFactory;

/**
 * {@code refcache mount} refuses targets where a bind mount would hide or shadow the FUSE view, the state
 * root or the control socket, however the target is spelled, and a start drops such a target from a saved
 * state instead of re-making it.
 */
class MountTargetTest {
  private ServiceFixture svc;
  private String layer;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger serviceLog = (Logger) LoggerFactory.getLogger(BindMounts.class);

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
    Path tar = svc.dir.resolve("layer.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("etc/os-release", "ID=refcache\n")));
    layer = svc.ok("import", tar.toString());
    log.start();
    serviceLog.addAppender(log);
  }

  @AfterEach
  void stop() throws Exception {
    serviceLog.detachAppender(log);
    if (svc != null) {
      svc.close();
    }
  }

  /** Asks to mount {@code layer} at {@code target}; expects a usage error naming it and {@code why}. */
  private void assertRefused(Path target, String why) throws Exception {
    ServiceFixture.Run r = svc.cli("mount", layer, target.toString());
    assertThat(r.exit()).as("refcache mount %s %s: %s", layer, target, r.err()).isEqualTo(2);
    assertThat(r.err()).contains(target.toString()).contains(why);
    assertViewServes();
    assertThat(svc.info(layer).path("mounts")).isEmpty();
  }

  /** The view is the one FUSE mount at the mountpoint, nothing is stacked inside it, and it answers. */
  private void assertViewServes() throws Exception {
    assertThat(MountTable.at(svc.mountpoint)).singleElement()
        .satisfies(m -> assertThat(m.fsType()).startsWith("fuse"));
    assertThat(Mounts.under(svc.mountpoint)).containsExactly(svc.mountpoint);
    assertThat(Mounts.under(svc.root)).isEmpty();
    assertThat(Files.readString(svc.tree(layer).resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
  }

  @Test
  void theMountpointItselfIsRefused() throws Exception {
    assertRefused(svc.mountpoint, "FUSE view");
  }

  @Test
  void theRefsDirectoryOfTheViewIsRefused() throws Exception {
    assertRefused(svc.mountpoint.resolve("refs"), "FUSE view");
  }

  @Test
  void aDirectoryInsideARefOfTheViewIsRefused() throws Exception {
    String mutable = svc.ok("new", "--parent", layer);
    Path sub = Files.createDirectories(svc.tree(mutable).resolve("sub"));

    assertRefused(sub, "FUSE view");
    assertRefused(svc.tree(layer).resolve("etc"), "FUSE view");
    // A ref bind-mounted elsewhere is still the view's file system: no mount inside it either.
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));
    svc.ok("mount", mutable, rootfs.toString());
    assertRefused(rootfs.resolve("sub"), "FUSE view");
    svc.ok("umount", rootfs.toString());
  }

  @Test
  void theStateRootIsRefused() throws Exception {
    assertRefused(svc.root, "state root");
  }

  @Test
  void aDirectoryUnderTheStateRootIsRefused() throws Exception {
    Path under = Files.createDirectories(svc.root.resolve("extra/deeper"));
    assertRefused(under, "state root");
  }

  /** A directory holding the view, the root and the socket would hide all three. */
  @Test
  void aParentOfTheViewAndTheRootIsRefused() throws Exception {
    assertRefused(svc.dir, "FUSE view");
    assertRefused(Path.of("/"), "FUSE view");
  }

  @Test
  void theControlSocketsDirectoryIsRefused() throws Exception {
    assertRefused(svc.socket.getParent(), "control socket");
  }

  @Test
  void aSymlinkPointingIntoTheViewIsRefused() throws Exception {
    Path link = Files.createSymbolicLink(svc.dir.resolve("link"), svc.mountpoint.resolve("refs"));
    assertRefused(link, "FUSE view");
    assertRefused(Path.of("/proc/self/root").resolve(svc.tree(layer).toString().substring(1)), "FUSE view");
  }

  /** The view and the root reached through other bind mounts of them are still recognised. */
  @Test
  void theViewAndTheRootReachedThroughAnotherBindMountAreRefused() throws Exception {
    Path viewAlias = Files.createDirectories(svc.dir.resolve("view-alias"));
    Path rootAlias = Files.createDirectories(svc.dir.resolve("root-alias"));
    Path parentAlias = Files.createDirectories(svc.dir.resolve("parent-alias"));
    Path parentOfAll = Files.createDirectories(svc.dir.resolve("holder"));
    bind(svc.mountpoint, viewAlias);
    bind(svc.root, rootAlias);
    bind(svc.dir, parentAlias);

    assertRefused(viewAlias.resolve("refs"), "FUSE view");
    assertRefused(rootAlias.resolve("content"), "state root");
    // The temporary directory seen through its own bind: it holds the view.
    assertRefused(parentAlias, "FUSE view");
    // An ordinary directory beside them is still fine.
    svc.ok("mount", layer, parentOfAll.toString());
    svc.ok("umount", parentOfAll.toString());
  }

  /** A state file naming forbidden targets (edited by hand) starts without them, and says why. */
  @Test
  void aSavedMountOnAForbiddenTargetIsDroppedAtStartAndTheViewStaysIntact() throws Exception {
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));
    svc.ok("mount", layer, rootfs.toString());
    svc.stopService();
    Path stateFile = svc.root.resolve(ServiceState.FILE);
    ObjectNode state = (ObjectNode) ControlProtocol.JSON.readTree(stateFile.toFile());
    ArrayNode mounts = (ArrayNode) state.path("mounts");
    // Not "/": a start that detached a stale mount there before deciding would take the machine's root.
    List<Path> forbidden = List.of(svc.mountpoint, svc.mountpoint.resolve("refs"), svc.root, svc.dir);
    for (Path p : forbidden) {
      mounts.addObject().put("dir", p.toString()).put("id", layer).put("readOnly", true);
    }
    ControlProtocol.JSON.writeValue(stateFile.toFile(), state);

    svc.startService();

    assertViewServes();
    assertThat(Files.readString(rootfs.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(Mounts.under(svc.dir))
        .containsExactlyInAnyOrder(svc.mountpoint, rootfs);
    assertThat(ControlProtocol.JSON.readTree(stateFile.toFile()).path("mounts").findValuesAsText("dir"))
        .containsExactly(rootfs.toString());
    for (Path p : forbidden) {
      assertThat(log.list).as("a WARN naming %s", p).anySatisfy(e -> {
        assertThat(e.getLevel()).isEqualTo(Level.WARN);
        assertThat(e.getFormattedMessage()).contains(" " + p + ":").containsAnyOf("FUSE view", "state root");
      });
    }
    svc.ok("umount", rootfs.toString());
  }

  private static void bind(Path from, Path to) throws Exception {
    Process p = new ProcessBuilder("mount", "--bind", from.toString(), to.toString()).inheritIO().start();
    assertThat(p.waitFor()).as("mount --bind %s %s", from, to).isZero();
  }
}
