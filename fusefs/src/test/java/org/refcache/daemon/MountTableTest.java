package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;

class MountTableTest {
  @Test
  void unescapesTheOctalEscapesOfMountinfo() {
    assertThat(MountTable.unescape("/tmp/with\\040space\\011tab\\134back")).isEqualTo("/tmp/with space\ttab\\back");
    assertThat(MountTable.unescape("/plain")).isEqualTo("/plain");
    assertThat(MountTable.unescape("/odd\\9")).isEqualTo("/odd\\9");
  }

  @Test
  void seesTheRootMount() throws Exception {
    assertThat(MountTable.isMountPoint(Path.of("/"))).isTrue();
  }

  @Test
  void detachAtRemovesStackedMountsAtAPathWithASpace() throws Exception {
    Path dir = Files.createTempDirectory("refcache-test-mounttable-");
    try {
      Path target = Files.createDirectories(dir.resolve("a target"));
      Path source = Files.createDirectories(dir.resolve("source"));
      Posix.bindMount(source, target, false);
      Posix.bindMount(source, target, true);
      assertThat(MountTable.at(target)).hasSize(2);

      assertThat(MountTable.detachAt(target)).isEqualTo(2);

      assertThat(MountTable.isMountPoint(target)).isFalse();
    } finally {
      MountSafetyNet.detachAllUnder(dir);
      ServiceFixture.deleteTree(dir);
    }
  }
}
