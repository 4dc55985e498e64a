package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.refcache.fuse.FuseOptions;

/** {@code REFCACHE_FUSE_URING}: 1 asks for FUSE over io_uring, 0 does not, else the default. */
class DaemonUringChoiceTest {

  @Test
  void oneAsksForTheRingAndZeroDoesNotWhateverTheDefault() {
    assertThat(Daemon.uringWanted("1")).isTrue();
    assertThat(Daemon.uringWanted("0")).isFalse();
  }

  @Test
  void unsetOrAnythingElseIsTheDefault() {
    assertThat(Daemon.uringWanted(null)).isEqualTo(FuseOptions.DEFAULT_URING);
    assertThat(Daemon.uringWanted("yes")).isEqualTo(FuseOptions.DEFAULT_URING);
  }
}
