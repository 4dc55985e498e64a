package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The distribution-source annotations of a lazy layer, from the image refs it was pulled for. */
class DistributionSourcesTest {
  private static final String KEY = DistributionSources.PREFIX;

  @Test
  void eachRegistryHostGetsItsRepositoriesOnceInTheOrderPulled() {
    Map<String, String> out = DistributionSources.add(Map.of("other", "kept"), List.of(
        "registry.example:5000/team/app:v1", "registry.example:5000/team/app@sha256:"
            + "a".repeat(64), "registry.example/other/copy:v2", "mirror.example/team/app:v1"));
    assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of(
        "other", "kept",
        KEY + "registry.example", "team/app,other/copy",
        KEY + "mirror.example", "team/app"));
  }

  @Test
  void anIpv6RegistryIsNamedByItsAddressWithoutBracketsOrPort() {
    assertThat(DistributionSources.add(Map.of(), List.of("[::1]:5000/team/app:v1")))
        .containsExactly(Map.entry(KEY + "::1", "team/app"));
  }

  @Test
  void aStoredReferenceThatNoLongerParsesAddsNothing() {
    assertThat(DistributionSources.add(Map.of(), List.of("not a reference", "app:v1"))).isEmpty();
  }

  @Test
  void repositoriesAlreadyNamedAreNotRepeated() {
    Map<String, String> given = Map.of(KEY + "registry.example", "team/app");
    assertThat(DistributionSources.add(given, List.of("registry.example/team/app:v2")))
        .containsExactly(Map.entry(KEY + "registry.example", "team/app"));
  }
}
