package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TransportLimitsTest {

  /** A renamed or removed test must not leave a stale exclusion behind. */
  @Test
  void everyLibfuseExclusionNamesAnExistingTest() throws ClassNotFoundException {
    for (String test : TransportLimits.LIBFUSE.keySet()) {
      int dot = test.lastIndexOf('.');
      Class<?> type = Class.forName("org.refcache.fuse." + test.substring(0, dot));
      String method = test.substring(dot + 1);
      assertThat(Arrays.stream(type.getDeclaredMethods()).map(m -> m.getName()))
          .as(test).contains(method);
    }
  }
}
