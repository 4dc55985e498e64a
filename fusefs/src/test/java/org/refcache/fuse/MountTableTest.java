package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Mounting;
import org.refcache.testing.Mounts;

class MountTableTest {

  @Test
  void octalEscapesOfTheMountTableAreDecoded() {
    assertThat(MountTable.unescape("/tmp/a\\040b\\011c\\134d")).isEqualTo("/tmp/a b\tc\\d");
    assertThat(MountTable.unescape("/plain")).isEqualTo("/plain");
    assertThat(MountTable.unescape("/odd\\04")).isEqualTo("/odd\\04");
  }

  @Test
  void theRootIsAMountPoint() throws IOException {
    assertThat(MountTable.isMountPoint(Path.of("/"))).isTrue();
    assertThat(MountTable.isMountPoint(Path.of("/proc/self"))).isFalse();
  }

  @Test
  void everyMountHasATypeAndASource() throws IOException {
    MountTable.Mount root = MountTable.at(Path.of("/")).get(0);
    assertThat(root.fsType()).isNotEmpty();
    assertThat(root.source()).isNotEmpty();
  }

  @Test
  void detachAtRemovesStackedMountsAtAPathWithASpace(@TempDir Path dir) throws IOException {
    try {
      Path target = Files.createDirectories(dir.resolve("a target"));
      Path source = Files.createDirectories(dir.resolve("source"));
      Mounting.bindMount(source, target, false);
      Mounting.bindMount(source, target, true);
      assertThat(MountTable.at(target)).hasSize(2);

      assertThat(MountTable.detachAt(target)).isEqualTo(2);

      assertThat(MountTable.isMountPoint(target)).isFalse();
    } finally {
      Mounts.detachAllUnder(dir);
    }
  }
}
