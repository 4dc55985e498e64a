package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountTable;

/** {@code refcache mount} and {@code umount}: a ref's tree bind-mounted into a directory, as a container would. */
class BindMountTest {
  private ServiceFixture svc;
  private String layer;
  private Path dir;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
    Path tar = svc.dir.resolve("layer.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("etc/os-release", "ID=refcache\n")));
    layer = svc.ok("import", tar.toString());
    dir = Files.createDirectories(svc.dir.resolve("rootfs"));
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  @Test
  void mountBindsTheTreeIntoTheDirectoryAndUmountRemovesIt() throws Exception {
    svc.ok("mount", layer, dir.toString());

    assertThat(MountTable.isMountPoint(dir)).isTrue();
    assertThat(Files.readString(dir.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(svc.info(layer).path("mounts").get(0).asText()).isEqualTo(dir.toString());

    svc.ok("umount", dir.toString());

    assertThat(MountTable.isMountPoint(dir)).isFalse();
    try (var s = Files.list(dir)) {
      assertThat(s).isEmpty();
    }
    assertThat(svc.info(layer).path("mounts")).isEmpty();
  }

  /** A directory named in UTF-8 text (as a client gives it) is the directory mounted on. */
  @Test
  void aDirectoryWithANonAsciiNameIsMountedAndUnmounted() throws Exception {
    Path cafe = Files.createDirectories(svc.dir.resolve("caf\u00e9-\u65e5\u672c"));
    svc.ok("mount", layer, cafe.toString());

    assertThat(MountTable.isMountPoint(cafe)).isTrue();
    assertThat(Files.readString(cafe.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    assertThat(svc.info(layer).path("mounts").get(0).asText()).isEqualTo(cafe.toString());

    svc.ok("umount", cafe.toString());
    assertThat(MountTable.isMountPoint(cafe)).isFalse();
  }

  @Test
  void aMountedMutableRefIsWritableThroughTheDirectoryAndCannotBeReleasedWhileMounted() throws Exception {
    String mutable = svc.ok("new", "--parent", layer);
    svc.ok("mount", mutable, dir.toString());

    Files.writeString(dir.resolve("etc/hostname"), "builder\n");

    assertThat(Files.readString(svc.tree(mutable).resolve("etc/hostname"))).isEqualTo("builder\n");
    ServiceFixture.Run release = svc.cli("release", mutable);
    assertThat(release.exit()).isEqualTo(4);
    assertThat(release.err()).contains("umount");
    svc.ok("umount", dir.toString());
    svc.ok("release", mutable);
  }

  @Test
  void aMountedMutableKeepsServingItsCommittedTreeWhenTheNextStepBuildsOnIt() throws Exception {
    String mutable = svc.ok("new", "--parent", layer);
    svc.ok("mount", mutable, dir.toString());
    Files.writeString(dir.resolve("out"), "step one\n");

    String committed = svc.ok("commit", mutable);
    String next = svc.ok("new", "--parent", committed); // finalizes the commit: the twin owns the data

    assertThatThrownBy(() -> Files.writeString(dir.resolve("more"), "x"))
        .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
    assertThat(Files.readString(dir.resolve("out"))).isEqualTo("step one\n");
    assertThat(Files.readString(svc.tree(next).resolve("out"))).isEqualTo("step one\n");
    assertThat(svc.info(committed).path("mounts").get(0).asText()).isEqualTo(dir.toString());
    assertThat(svc.info(mutable).path("id").asText()).as("the mutable's ID stands for the twin").isEqualTo(committed);
    assertThat(svc.ok("ls")).as("the mutable record is finalized away").doesNotContain(mutable);
    try (var lease = svc.daemon().trees().open(mutable).orElseThrow()) {
      assertThat(lease.tree().isWritable()).as("a fresh lease of the mutable's ID serves the twin").isFalse();
      assertThat(Files.readString(lease.tree().resolve("out").orElseThrow().real())).isEqualTo("step one\n");
    }
    svc.ok("umount", dir.toString());
  }

  @Test
  void readonlyMountRefusesWritesEvenForAMutableRef() throws Exception {
    String mutable = svc.ok("new", "--parent", layer);
    svc.ok("mount", "--readonly", mutable, dir.toString());

    assertThatThrownBy(() -> Files.writeString(dir.resolve("x"), "x"))
        .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
    assertThat(Files.readString(dir.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    svc.ok("umount", dir.toString());
  }

  @Test
  void anImmutableRefIsMountedReadOnlySoAWritingOpenFailsWithReadOnlyFileSystem() throws Exception {
    svc.ok("mount", layer, dir.toString());

    Path file = dir.resolve("etc/os-release");
    for (StandardOpenOption mode : new StandardOpenOption[] {StandardOpenOption.WRITE,
        StandardOpenOption.APPEND}) {
      assertThatThrownBy(() -> FileChannel.open(file, mode).close()).as("open(%s)", mode)
          .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
    }
    assertThat(MountTable.isMountPoint(dir)).isTrue();
    assertThat(mountOptions(dir)).as("the bind mount's options").contains("ro");
    assertThat(Files.readString(file)).isEqualTo("ID=refcache\n");
    svc.ok("umount", dir.toString());
  }

  /** The per-mount options of the mount at {@code dir} ({@code /proc/self/mountinfo}'s sixth field). */
  private static java.util.List<String> mountOptions(Path dir) throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f[4].equals(dir.toString())) {
        return java.util.List.of(f[5].split(","));
      }
    }
    throw new AssertionError("no mount at " + dir);
  }

  @Test
  void aMountKeepsItsRefWhenTheServiceReleasesItsOwnHandle() throws Exception {
    svc.ok("mount", layer, dir.toString());

    svc.ok("release", layer);

    assertThat(svc.info(layer).path("inUse").asBoolean()).isTrue();
    assertThat(Files.readString(dir.resolve("etc/os-release"))).isEqualTo("ID=refcache\n");
    svc.ok("umount", dir.toString());
  }

  @Test
  void mountErrorsHaveTheirExitStatus() throws Exception {
    assertThat(svc.cli("mount", "nosuchref000000000000000000", dir.toString()).exit()).isEqualTo(3);
    assertThat(svc.cli("mount", layer, svc.dir.resolve("missing").toString()).exit()).isEqualTo(3);
    assertThat(svc.cli("umount", dir.toString()).exit()).isEqualTo(3);
    assertThat(svc.cli("mount", "../../etc", dir.toString()).exit()).isEqualTo(2);
    svc.ok("mount", layer, dir.toString());
    assertThat(svc.cli("mount", layer, dir.toString()).exit()).isEqualTo(2);
    svc.ok("umount", dir.toString());
  }

  @Test
  void umountOfABusyDirectoryIsLockedAndKeepsTheMount() throws Exception {
    svc.ok("mount", layer, dir.toString());
    try (var open = Files.newDirectoryStream(dir.resolve("etc"))) {
      // An open directory keeps the mount busy.
      ServiceFixture.Run r = svc.cli("umount", dir.toString());
      assertThat(r.exit()).isEqualTo(4);
      assertThat(MountTable.isMountPoint(dir)).isTrue();
    }
    svc.ok("umount", dir.toString());
  }
}
