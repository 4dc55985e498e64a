package org.refcache.fuse.libfuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HiddenNamesTest {

  @Test
  void recognisesOnlyTheNamesLibfuseHidesFilesUnder() {
    assertThat(HiddenNames.isHiddenName("/refs/r/dir/.fuse_hidden0000000400000001")).isTrue();
    assertThat(HiddenNames.isHiddenName("/refs/r/.fuse_hidden00000a0b0000ffff")).isTrue();
    assertThat(HiddenNames.isHiddenName("/refs/r/.fuse_hidden000000040000001")).isFalse();
    assertThat(HiddenNames.isHiddenName("/refs/r/.fuse_hidden00000004000000012")).isFalse();
    assertThat(HiddenNames.isHiddenName("/refs/r/.fuse_hidden000000040000000G")).isFalse();
    assertThat(HiddenNames.isHiddenName("/refs/r/.fuse_hidden0000000400000001/x")).isFalse();
    assertThat(HiddenNames.isHiddenName("/refs/r/fuse_hidden00000004000000012")).isFalse();
  }
}
