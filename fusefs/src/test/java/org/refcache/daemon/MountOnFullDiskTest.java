package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountTable;
import org.refcache.protocol.ControlProtocol;

/**
 * {@code refcache mount} and {@code umount} happen whole or not at all: when the held state cannot be
 * saved (the state root is a full tmpfs), the bind mount is as it was before the request, with its handle.
 */
class MountOnFullDiskTest {
  private ServiceFixture svc;
  private String layer;
  private Path rootfs;
  private Path filler;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.prepare();
    Files.createDirectories(svc.root);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=96m", "refcache-test-full",
        svc.root.toString()).inheritIO().start();
    assertThat(mount.waitFor()).as("mounting a tmpfs as the state root").isZero();
    svc.startService();
    Path tar = svc.dir.resolve("layer.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("etc/os-release", "ID=refcache\n")));
    layer = svc.ok("import", tar.toString());
    // Unpacked now, while there is room: the mount below must fail at saving the state, nothing else.
    assertThat(Files.readString(svc.tree(layer).resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));
    filler = svc.root.resolve("filler");
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close(); // stops the service, then detaches the tmpfs with every other mount under dir
    }
  }

  /** Writes into the state root until it has no byte left. */
  private void fillTheRoot() throws IOException {
    try (OutputStream out = Files.newOutputStream(filler)) {
      for (int chunk : new int[] {1 << 20, 4096, 1}) {
        byte[] b = new byte[chunk];
        try {
          while (true) {
            out.write(b);
            out.flush();
          }
        } catch (IOException e) {
          assertThat(e).hasMessageContaining("No space left on device");
        }
      }
    }
  }

  /**
   * The open handles of {@code id}, with the view's lease of it open: reading through the view opens one
   * and keeps it, so only handles the service takes or drops make a difference.
   */
  private int handlesWithTheViewsLease(String id) throws Exception {
    assertThat(Files.readString(svc.tree(id).resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    return svc.info(id).path("handles").asInt();
  }

  private JsonNode savedMounts() throws Exception {
    return ControlProtocol.JSON.readTree(svc.root.resolve(ServiceState.FILE).toFile()).path("mounts");
  }

  @Test
  void aMountWhoseStateCannotBeSavedLeavesNoMountAndNoHandle() throws Exception {
    svc.ok("release", layer);
    int before = handlesWithTheViewsLease(layer);
    fillTheRoot();

    ServiceFixture.Run r = svc.cli("mount", layer, rootfs.toString());

    assertThat(r.exit()).as("refcache mount on a full root: %s", r.err()).isEqualTo(1);
    assertThat(r.err()).containsIgnoringCase("no space left on device");
    assertThat(MountTable.isMountPoint(rootfs)).isFalse();
    assertThat(svc.info(layer).path("mounts")).isEmpty();
    assertThat(handlesWithTheViewsLease(layer)).as("handles left behind").isEqualTo(before);
    assertThat(savedMounts()).isEmpty();

    Files.delete(filler);
    svc.ok("mount", layer, rootfs.toString());
    assertThat(Files.readString(rootfs.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(handlesWithTheViewsLease(layer)).as("the mount's handle").isEqualTo(before + 1);
    svc.ok("umount", rootfs.toString());
  }

  /**
   * A start drops a saved mount it cannot make again and saves that; on a full root the save fails, and the
   * start goes on serving with the other mounts (the file keeps the entry; the next start drops it again).
   */
  @Test
  void aStartOnAFullRootServesWhenTheDroppedMountsCannotBeSaved() throws Exception {
    svc.ok("mount", layer, rootfs.toString());
    svc.stopService();
    Path stateFile = svc.root.resolve(ServiceState.FILE);
    ObjectNode state = (ObjectNode) ControlProtocol.JSON.readTree(stateFile.toFile());
    ((ArrayNode) state.path("mounts")).addObject().put("dir", svc.dir.resolve("gone").toString()).put("id", layer);
    ControlProtocol.JSON.writeValue(stateFile.toFile(), state);
    fillTheRoot();

    svc.startService();

    assertThat(Files.readString(rootfs.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(Files.readString(svc.tree(layer).resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(savedMounts().findValuesAsText("dir")).contains(svc.dir.resolve("gone").toString());
    Files.delete(filler);
    svc.ok("umount", rootfs.toString());
    assertThat(savedMounts()).isEmpty();
  }

  @Test
  void anUmountWhoseStateCannotBeSavedKeepsTheMountAndItsHandle() throws Exception {
    svc.ok("release", layer);
    int unmounted = handlesWithTheViewsLease(layer);
    svc.ok("mount", layer, rootfs.toString());
    assertThat(handlesWithTheViewsLease(layer)).as("the mount's handle").isEqualTo(unmounted + 1);
    fillTheRoot();

    ServiceFixture.Run r = svc.cli("umount", rootfs.toString());

    assertThat(r.exit()).as("refcache umount on a full root: %s", r.err()).isEqualTo(1);
    assertThat(r.err()).containsIgnoringCase("no space left on device");
    assertThat(MountTable.isMountPoint(rootfs)).isTrue();
    assertThat(Files.readString(rootfs.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(svc.info(layer).path("mounts").get(0).asText()).isEqualTo(rootfs.toString());
    assertThat(handlesWithTheViewsLease(layer)).as("the mount's handle").isEqualTo(unmounted + 1);
    assertThat(savedMounts().findValuesAsText("dir")).containsExactly(rootfs.toString());

    Files.delete(filler);
    svc.ok("umount", rootfs.toString());
    assertThat(MountTable.isMountPoint(rootfs)).isFalse();
    assertThat(handlesWithTheViewsLease(layer)).isEqualTo(unmounted);
    assertThat(savedMounts()).isEmpty();
  }
}
