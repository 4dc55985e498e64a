package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountTable;

/** What a service checks and cleans before it serves: the root's lock, a cut-short save, room for LMDB. */
class DaemonStartTest {
  private ServiceFixture svc;

  @BeforeEach
  void prepare() throws Exception {
    svc = ServiceFixture.prepare();
  }

  @AfterEach
  void stop() throws Exception {
    svc.close(); // stops the service, then detaches anything mounted under its directory
  }

  @Test
  void aSecondServiceOnTheSameRootIsRefusedNamingTheFirstWhichKeepsEverything() throws Exception {
    svc.startService();
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "base\n")));
    String mutable = svc.ok("new", "--parent", svc.ok("import", tar.toString()));
    Files.writeString(svc.tree(mutable).resolve("w"), "not committed yet\n");
    Path bound = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", mutable, bound.toString());
    byte[] held = Files.readAllBytes(svc.root.resolve(ServiceState.FILE));
    Path otherMountpoint = svc.dir.resolve("mnt2");
    Path otherSocket = svc.dir.resolve("run2/refcache.sock");
    long pid = ProcessHandle.current().pid();

    assertThatThrownBy(() -> Daemon.start(new DaemonConfig(svc.root, otherMountpoint, otherSocket)))
        .isInstanceOf(StateRootInUseException.class)
        .hasMessageContaining("PID " + pid)
        .hasMessageContaining(svc.root.toString());

    assertThat(MountTable.isMountPoint(otherMountpoint)).isFalse();
    assertThat(otherSocket).doesNotExist();
    assertThat(MountTable.isMountPoint(bound)).as("the first service's bind mount").isTrue();
    assertThat(Files.readAllBytes(svc.root.resolve(ServiceState.FILE))).as("the held state").isEqualTo(held);
    assertThat(Files.readString(bound.resolve("w"))).isEqualTo("not committed yet\n");
    Files.writeString(bound.resolve("w2"), "still writable\n");
    String committed = svc.ok("commit", mutable);
    assertThat(Files.readString(svc.tree(committed).resolve("w2"))).isEqualTo("still writable\n");
    assertThat(Files.readString(svc.tree(committed).resolve("f"))).isEqualTo("base\n");
  }

  @Test
  void aSaveOfTheHeldStateThatACrashCutShortIsDiscardedAtStart() throws Exception {
    Files.createDirectories(svc.root);
    Path tmp = svc.root.resolve(ServiceState.FILE + ".tmp");
    Files.writeString(tmp, "{\"version\":1,\"immutables\":[\"cut sho");

    svc.startService();

    assertThat(tmp).doesNotExist();
    assertThat(svc.ok("ls")).doesNotContain("cut");
  }

  @Test
  void aStateRootOnADiskTooSmallForTheDatabaseFailsClearlyAndLeavesNoDatabase() throws Exception {
    // Detached by svc.close() with everything else under its directory.
    SmallDisk disk = SmallDisk.mount(svc.root, "16m");
    long free = disk.freeBytes();

    assertThatThrownBy(svc::startService)
        .hasMessageContaining("No space left on device")
        .hasMessageContaining(svc.root.resolve("meta").toString())
        .hasMessageContaining("64 MiB");

    assertThat(svc.root.resolve("meta/data.mdb")).doesNotExist();
    assertThat(svc.root.resolve("meta/lock.mdb")).doesNotExist();
    assertThat(disk.freeBytes()).as("bytes given back (the lock file keeps a page)").isGreaterThan(free - (1 << 20));
    assertThat(MountTable.isMountPoint(svc.mountpoint)).isFalse();
    assertThat(svc.socket).doesNotExist();

    // A bigger disk: the same root starts (so the failed start left its lock released, too).
    disk.resize("128m");
    svc.startService();
    assertThat(svc.cli("ls").exit()).isZero();
  }
}
