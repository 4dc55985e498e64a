package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RegistryEndpointsTest {
  private final RegistryEndpoints endpoints = new RegistryEndpoints(Set.of("build-cache.lan:5000", "plain.lan"));

  @Test
  void loopbackAndInsecureRegistriesUsePlainHttpOthersHttps() {
    assertThat(endpoints.base(ImageReference.parse("127.0.0.1:5000/a"))).hasToString("http://127.0.0.1:5000");
    assertThat(endpoints.base(ImageReference.parse("127.8.9.10:5000/a")).getScheme()).isEqualTo("http");
    assertThat(endpoints.base(ImageReference.parse("localhost:5000/a")).getScheme()).isEqualTo("http");
    assertThat(endpoints.base(ImageReference.parse("[::1]:5000/a"))).hasToString("http://[::1]:5000");
    assertThat(endpoints.base(ImageReference.parse("build-cache.lan:5000/a")).getScheme()).isEqualTo("http");
    assertThat(endpoints.base(ImageReference.parse("plain.lan:8080/a")).getScheme()).isEqualTo("http");
    assertThat(endpoints.base(ImageReference.parse("build-cache.lan:6000/a")).getScheme()).isEqualTo("https");
    assertThat(endpoints.base(ImageReference.parse("registry.example/a"))).hasToString("https://registry.example");
    assertThat(endpoints.base(ImageReference.parse("10.0.0.1:5000/a")).getScheme()).isEqualTo("https");
  }

  @Test
  void namesAreNeverResolvedToDecide() {
    // A name that may resolve to loopback is not loopback by name.
    assertThat(RegistryEndpoints.isLoopback("localhost.localdomain")).isFalse();
    assertThat(RegistryEndpoints.isLoopback("::ffff:127.0.0.1")).isTrue();
    assertThat(RegistryEndpoints.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(RegistryEndpoints.isLoopback("128.0.0.1")).isFalse();
  }

  @Test
  void plainHttpRedirectsAndRealmsOnlyToLoopbackOrInsecureHosts() {
    assertThat(endpoints.allows(URI.create("https://cdn.example/blob"))).isTrue();
    assertThat(endpoints.allows(URI.create("http://127.0.0.1:9000/token"))).isTrue();
    assertThat(endpoints.allows(URI.create("http://plain.lan/token"))).isTrue();
    assertThat(endpoints.allows(URI.create("http://cdn.example/blob"))).isFalse();
    assertThat(endpoints.allows(URI.create("ftp://127.0.0.1/blob"))).isFalse();
  }
}
