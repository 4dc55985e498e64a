package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HiddenFilesTest {

  @Test
  void recognisesOnlyTheNamesLibfuseHidesFilesUnder() {
    assertThat(HiddenFiles.isHiddenName("/refs/r/dir/.fuse_hidden0000000400000001")).isTrue();
    assertThat(HiddenFiles.isHiddenName("/refs/r/.fuse_hidden00000a0b0000ffff")).isTrue();
    assertThat(HiddenFiles.isHiddenName("/refs/r/.fuse_hidden000000040000001")).isFalse();
    assertThat(HiddenFiles.isHiddenName("/refs/r/.fuse_hidden00000004000000012")).isFalse();
    assertThat(HiddenFiles.isHiddenName("/refs/r/.fuse_hidden000000040000000G")).isFalse();
    assertThat(HiddenFiles.isHiddenName("/refs/r/.fuse_hidden0000000400000001/x")).isFalse();
    assertThat(HiddenFiles.isHiddenName("/refs/r/fuse_hidden00000004000000012")).isFalse();
  }
}
