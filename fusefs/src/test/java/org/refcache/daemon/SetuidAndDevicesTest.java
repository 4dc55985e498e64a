package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.fuse.FuseOptions;
import org.refcache.fuse.MountPrivileges;
import org.refcache.protocol.ControlProtocol;

/**
 * A layer's setuid-root program and world-writable device node give another local user ({@code nobody})
 * nothing, through the view or through a bind mount, unless the operator asked for them: the view with
 * {@code refcache daemon --suid --dev}, one bind mount with {@code refcache mount --suid --dev}.
 *
 * <p>The test's directory lets everyone through (0711), so only the mounts' flags stand between
 * {@code nobody} and the layer's files.
 */
class SetuidAndDevicesTest {
  private static final String NOBODY = "65534";
  private static final MountPrivileges BOTH = new MountPrivileges(true, true);

  private ServiceFixture svc;
  private String layer;

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  /** Starts a service whose view has {@code view} and imports the layer. */
  private void start(FuseOptions.Transport transport, MountPrivileges view) throws Exception {
    svc = ServiceFixture.prepare();
    Files.setPosixFilePermissions(svc.dir, PosixFilePermissions.fromString("rwx--x--x"));
    svc.configure(c -> new DaemonConfig(c.root(), c.mountpoint(), c.socket(), transport, view));
    svc.startService();
    Path tar = svc.dir.resolve("layer.tar");
    Files.write(tar, LayerTar.tar(privilegedLayer()));
    layer = svc.ok("import", tar.toString());
  }

  private void start() throws Exception {
    start(FuseOptions.Transport.KERNEL, MountPrivileges.NONE);
  }

  /** A setuid-root copy of {@code id} (prints the effective uid) and a 0666 node of /dev/null's device. */
  private static List<LayerTar.Entry> privilegedLayer() throws IOException {
    byte[] id = Files.readAllBytes(Path.of("/usr/bin/id"));
    return List.of(
        new LayerTar.Dir("bin", 0755, 0, 0, LayerTar.t(1_600_000_000L, 0), Map.of()),
        new LayerTar.File("bin/id", 04755, 0, 0, LayerTar.t(1_600_000_000L, 0), Map.of(), id),
        new LayerTar.Dir("dev", 0755, 0, 0, LayerTar.t(1_600_000_000L, 0), Map.of()),
        new LayerTar.CharDevice("dev/null", 0666, 0, 0, LayerTar.t(1_600_000_000L, 0), 1, 3));
  }

  @ParameterizedTest
  @EnumSource(FuseOptions.Transport.class)
  void theViewGivesNobodyNeitherRootNorTheDevice(FuseOptions.Transport transport) throws Exception {
    start(transport, MountPrivileges.NONE);

    assertThat(svc.daemon().viewTransport()).isEqualTo(transport);
    assertThat(MountOptions.at(svc.mountpoint)).contains("nosuid", "nodev");
    assertNobodyGainsNothing(svc.tree(layer));
  }

  @ParameterizedTest
  @EnumSource(FuseOptions.Transport.class)
  void aViewStartedWithSuidAndDevHonoursSetuidProgramsAndDevices(FuseOptions.Transport transport)
      throws Exception {
    start(transport, BOTH);

    assertThat(MountOptions.at(svc.mountpoint)).doesNotContain("nosuid", "nodev");
    assertNobodyGainsRootAndTheDevice(svc.tree(layer));
  }

  @Test
  void aBindMountGivesNobodyNeitherRootNorTheDevice() throws Exception {
    start();
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));

    svc.ok("mount", layer, rootfs.toString());

    // An immutable ref's bind mount is read-only too (BindMounts).
    assertThat(MountOptions.at(rootfs)).contains("ro", "nosuid", "nodev");
    assertNobodyGainsNothing(rootfs);
    svc.ok("umount", rootfs.toString());
  }

  /** The bind starts with the view's nosuid,nodev; asking for more must clear them on the bind alone. */
  @Test
  void aBindMountWithSuidAndDevHonoursThemThoughTheViewDoesNot() throws Exception {
    start();
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));

    svc.ok("mount", "--suid", "--dev", layer, rootfs.toString());

    assertThat(MountOptions.at(svc.mountpoint)).contains("nosuid", "nodev");
    assertThat(MountOptions.at(rootfs)).doesNotContain("nosuid", "nodev");
    assertNobodyGainsRootAndTheDevice(rootfs);
    assertNobodyGainsNothing(svc.tree(layer));
    svc.ok("umount", rootfs.toString());
  }

  @Test
  void aPlainBindMountOfAViewWithSuidAndDevIsStillNosuidNodev() throws Exception {
    start(FuseOptions.Transport.KERNEL, BOTH);
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));

    svc.ok("mount", "--readonly", layer, rootfs.toString());

    assertThat(MountOptions.at(rootfs)).contains("ro", "nosuid", "nodev");
    assertNobodyGainsNothing(rootfs);
    svc.ok("umount", rootfs.toString());
  }

  @Test
  void eachBindMountKeepsWhatItWasGrantedAcrossARestart() throws Exception {
    start();
    Path suid = Files.createDirectories(svc.dir.resolve("suid-only"));
    Path plain = Files.createDirectories(svc.dir.resolve("plain"));
    JsonNode made = ControlProtocol.JSON.readTree(
        svc.ok("mount", "--format", "json", "--suid", layer, suid.toString()));
    svc.ok("mount", layer, plain.toString());
    assertThat(made.path("setuid").asBoolean()).isTrue();
    assertThat(made.path("devices").asBoolean()).isFalse();

    svc.restart();

    assertThat(MountOptions.at(suid)).contains("nodev").doesNotContain("nosuid");
    assertThat(MountOptions.at(plain)).contains("nosuid", "nodev");
    assertThat(asNobody(suid.resolve("bin/id").toString(), "-u").out().strip()).isEqualTo("0");
    assertNobodyGainsNothing(plain);
    ServiceState saved = ServiceState.load(svc.root.resolve(ServiceState.FILE));
    assertThat(saved.mounts()).extracting(ServiceState.BindMount::dir, ServiceState.BindMount::privileges)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(plain.toString(), MountPrivileges.NONE),
            org.assertj.core.groups.Tuple.tuple(suid.toString(), new MountPrivileges(true, false)));
    svc.ok("umount", suid.toString());
    svc.ok("umount", plain.toString());
  }

  /** Commit moves a mutable's bind mount onto the twin; what the mount was granted moves with it. */
  @Test
  void aCommittedMutablesBindMountKeepsItsGrantAcrossARestart() throws Exception {
    start();
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));
    String mutable = svc.ok("new", "--parent", layer);
    svc.ok("mount", "--suid", mutable, rootfs.toString());
    String twin = svc.ok("commit", mutable);

    svc.restart();

    assertThat(ServiceState.load(svc.root.resolve(ServiceState.FILE)).mounts()).singleElement()
        .satisfies(m -> {
          assertThat(m.id()).isEqualTo(twin);
          assertThat(m.privileges()).isEqualTo(new MountPrivileges(true, false));
        });
    assertThat(MountOptions.at(rootfs)).contains("nodev").doesNotContain("nosuid");
    assertThat(asNobody(rootfs.resolve("bin/id").toString(), "-u").out().strip()).isEqualTo("0");
    svc.ok("umount", rootfs.toString());
  }

  /** A mount the service re-makes from a state file written before the flags existed is nosuid,nodev. */
  @Test
  void aBindMountSavedBeforeTheFlagsExistedComesBackNosuidNodev() throws Exception {
    start();
    Path rootfs = Files.createDirectories(svc.dir.resolve("rootfs"));
    svc.ok("mount", "--suid", "--dev", layer, rootfs.toString());
    svc.stopService();
    Path state = svc.root.resolve(ServiceState.FILE);
    Files.writeString(state, Files.readString(state).replaceAll(",?\\s*\"(setuid|devices)\"\\s*:\\s*true", ""));
    assertThat(Files.readString(state)).doesNotContain("setuid", "devices");

    svc.startService();

    assertThat(MountOptions.at(rootfs)).contains("nosuid", "nodev");
    assertNobodyGainsNothing(rootfs);
    svc.ok("umount", rootfs.toString());
  }

  private void assertNobodyGainsNothing(Path tree) throws Exception {
    Run id = asNobody(tree.resolve("bin/id").toString(), "-u");
    assertThat(id.exit()).as("nobody runs %s: %s", tree.resolve("bin/id"), id.err()).isZero();
    assertThat(id.out().strip()).as("the effective uid of a setuid-root program").isEqualTo(NOBODY);
    Path node = tree.resolve("dev/null");
    assertThat(asNobody("test", "-c", node.toString()).exit()).as("nobody sees the device node").isZero();
    Run open = asNobody("sh", "-c", "echo probe > \"$1\"", "sh", node.toString());
    assertThat(open.exit()).as("nobody opens the device node").isNotZero();
    assertThat(open.err()).contains("Permission denied");
  }

  private void assertNobodyGainsRootAndTheDevice(Path tree) throws Exception {
    Run id = asNobody(tree.resolve("bin/id").toString(), "-u");
    assertThat(id.out().strip()).as("the effective uid of a setuid-root program: %s", id.err()).isEqualTo("0");
    Run open = asNobody("sh", "-c", "echo probe > \"$1\"", "sh", tree.resolve("dev/null").toString());
    assertThat(open.exit()).as("nobody opens the device node: %s", open.err()).isZero();
  }

  private record Run(int exit, String out, String err) {}

  private Run asNobody(String... command) throws Exception {
    List<String> args = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    args.addAll(List.of(command));
    Path out = Files.createTempFile("refcache-test-nobody-", ".out");
    Path err = Files.createTempFile("refcache-test-nobody-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(args).directory(Path.of("/").toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C");
      Process p = pb.start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail(String.join(" ", args) + " did not finish");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
