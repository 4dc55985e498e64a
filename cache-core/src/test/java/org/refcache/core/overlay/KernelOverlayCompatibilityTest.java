package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Posix;
import org.refcache.testing.TreeSnapshot;

/**
 * Our uppers and kernel overlayfs uppers are interchangeable: an upper the kernel wrote reads the
 * same here, and after we change it further the kernel still reads what we show. (The other
 * direction, an upper we wrote from scratch, is checked at the end of every equivalence run.)
 */
class KernelOverlayCompatibilityTest {

  @TempDir
  Path base;

  private Fixture fixture;
  private Path upper;

  @BeforeEach
  void setUp() throws IOException {
    fixture = Fixture.create(base);
    upper = Files.createDirectory(base.resolve("upper"));
  }

  @Test
  void upperWrittenByTheKernelReadsTheSameHereAndBack() throws IOException {
    Map<String, String> kernelView;
    try (KernelOverlay mount = KernelOverlay.mount(fixture.lowers(), upper, base)) {
      TreeOps ops = new TreeOps.Plain(mount.mountpoint());
      ops.write("a.txt", 0, "ALPHA".getBytes(StandardCharsets.UTF_8));
      ops.unlink("dir1/f1");
      ops.unlink("shared/s1.txt");
      ops.unlink("shared/s2.txt");
      ops.unlink("shared/both.txt");
      ops.rmdir("shared");
      ops.mkdir("shared", 0700, 3, 3);
      ops.createFile("shared/new", 0640, 1, 2, true);
      ops.chmod("setuid.bin", 06755);
      ops.chown("dir1/sub/keep.txt", 9, 9);
      ops.setXattr("fileToDir", "user.k", new byte[] {1, 2}, 0);
      ops.removeXattr("a.txt", "user.color");
      ops.rename("newtop.txt", "dir1/sub/newtop.txt", 0);
      ops.mkdir("updir", 0755, 0, 0);
      ops.createFile("updir/f", 0644, 0, 0, true);
      ops.rename("updir", "dir2/updir", 0);
      ops.symlink("x/y", "sym", 0, 0);
      ops.link("dir1/f2", "hard");
      ops.mknod("pipe", Posix.S_IFIFO | 0600, 0, 0, 0);
      ops.utimens("dir1/f2", null, Instant.parse("2011-11-11T11:11:11.111111111Z"));
      kernelView = OverlayEquivalenceTest.view(TreeSnapshot.ofDirectory(mount.mountpoint(), true));
    }
    WritableOverlayTree ours = new WritableOverlayTree(upper, fixture.lowers());
    assertThat(OverlayEquivalenceTest.differences(
        OverlayEquivalenceTest.view(TreeSnapshot.ofTree(ours, true)), kernelView)).isEmpty();
    assertThat(ours.list("shared")).extracting(DirEntry::name).containsExactly("new");

    // Now we go on writing the kernel's upper; the kernel must read what we show.
    ours.rename("dir1", "moved", 0);
    ours.unlink("moved/sub/newtop.txt");
    ours.mkdir("dir1", 0755, 0, 0);
    ours.rename("lowdir", "shared/lowdir", 0);
    ours.rmdir("emptydir");
    ours.createFile("emptydir", 0644, 0, 0, true);
    ours.rename("dir2", "fileToDir/dir2", 0);
    Map<String, String> oursView = OverlayEquivalenceTest.view(TreeSnapshot.ofTree(ours, true));
    try (KernelOverlay mount = KernelOverlay.mount(fixture.lowers(), upper, base)) {
      assertThat(OverlayEquivalenceTest.differences(oursView,
          OverlayEquivalenceTest.view(TreeSnapshot.ofDirectory(mount.mountpoint(), true))))
          .isEmpty();
    }
  }

  @Test
  void renamedLowerDirectoryMountsAsTheSameTree() throws IOException {
    WritableOverlayTree ours = new WritableOverlayTree(upper, fixture.lowers());
    ours.rename("dir1", "dir2/dir1", 0);
    ours.rename("dir2", "renamed", 0);
    ours.rename("shared", "lowdir/a/shared", 0);
    ours.rename("lowdir", "emptydir", 0);
    Map<String, String> oursView = OverlayEquivalenceTest.view(TreeSnapshot.ofTree(ours, true));
    assertThat(oursView).containsKeys("renamed/dir1/sub/keep.txt", "emptydir/a/shared/both.txt")
        .doesNotContainKeys("dir1", "dir2", "shared", "lowdir");
    try (KernelOverlay mount = KernelOverlay.mount(fixture.lowers(), upper, base)) {
      assertThat(OverlayEquivalenceTest.differences(oursView,
          OverlayEquivalenceTest.view(TreeSnapshot.ofDirectory(mount.mountpoint(), true))))
          .isEmpty();
    }
  }
}
