package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
}
