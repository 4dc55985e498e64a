package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PlatformTest {

  @Test
  void parsesTwoOrThreeParts() {
    assertThat(Platform.parse("linux/amd64")).isEqualTo(Platform.LINUX_AMD64);
    assertThat(Platform.parse("Linux/ARM64/v8")).isEqualTo(new Platform("linux", "arm64", "v8"));
    assertThat(Platform.parse("linux/arm/v7")).hasToString("linux/arm/v7");
    assertThatThrownBy(() -> Platform.parse("linux")).hasMessageContaining("os/architecture[/variant]");
    assertThatThrownBy(() -> Platform.parse("linux/arm/v7/x")).hasMessageContaining("\"linux/arm/v7/x\"");
    assertThatThrownBy(() -> Platform.parse("linux/am d64")).isInstanceOf(InvalidReferenceException.class);
  }

  @Test
  void acceptsNormalisedArchitecturesAndAnyVariantWhenNoneIsWanted() {
    assertThat(Platform.LINUX_AMD64.accepts(Platform.parse("linux/x86_64"))).isTrue();
    assertThat(Platform.parse("linux/arm64").accepts(Platform.parse("linux/aarch64/v8"))).isTrue();
    assertThat(Platform.parse("linux/arm64/v8").accepts(Platform.parse("linux/arm64"))).isTrue();
    assertThat(Platform.parse("linux/arm").accepts(Platform.parse("linux/arm/v6"))).isTrue();
    assertThat(Platform.parse("linux/arm/v7").accepts(Platform.parse("linux/arm/v6"))).isFalse();
    assertThat(Platform.LINUX_AMD64.accepts(Platform.parse("windows/amd64"))).isFalse();
    assertThat(Platform.LINUX_AMD64.accepts(Platform.parse("linux/arm64"))).isFalse();
  }
}
