package org.refcache.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The kernel keeps one ring queue per possible CPU: every one needs an entry. */
class RingTransportTest {

  @Test
  void queuesAreTheCpusListedAsPossibleRangesAndSinglesAlike() {
    assertThat(RingTransport.possibleCpus("0\n")).isEqualTo(1);
    assertThat(RingTransport.possibleCpus("0-1\n")).isEqualTo(2);
    assertThat(RingTransport.possibleCpus("0-3,8-11")).isEqualTo(8);
    assertThat(RingTransport.possibleCpus("0,2-5")).isEqualTo(5);
  }

  @Test
  void aListWithoutCpusIsRefused() {
    assertThatThrownBy(() -> RingTransport.possibleCpus(""))
        .isInstanceOf(RuntimeException.class);
  }
}
