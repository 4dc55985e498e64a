package org.refcache.core.remote;

import org.refcache.testing.FaultyProxy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.MediaTypes;

/** Failures of the registry or the network are retried with backoff, then reported as transient. */
class RetryTest extends RegistryFixture {

  private long requestsStartingWith(FaultyProxy proxy, String prefix) {
    return proxy.requestHeads().stream().filter(h -> h.startsWith(prefix)).count();
  }

  @Test
  void overloadedRegistryIsAskedAgainUntilItAnswers() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 30);
    image.push(client, registry.ref("retry/app:1"));
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/retry/app:1");
      proxy.failRequests("GET ", 503, 2);

      ResolvedImage resolved = client.resolve(ref);
      proxy.failRequests("GET ", 500, 2);
      client.fetchBlob(resolved.reference(), resolved.manifest().layers().get(0), store, Map.of());

      assertThat(resolved.digest()).isEqualTo(image.manifestDigest());
      assertThat(requestsStartingWith(proxy, "GET /v2/retry/app/manifests/1 ")).isEqualTo(3);
      assertThat(requestsStartingWith(proxy, "GET /v2/retry/app/blobs/")).isEqualTo(3);
    }
    assertThat(storedBytes(image.layers.get(0).digest())).isEqualTo(image.layers.get(0).bytes());
  }

  @Test
  void registryThatStaysOverloadedFailsAsTransientNamingTheStatus() throws IOException {
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/retry/app:2");
      proxy.failRequests("", 503, 100);

      assertThatThrownBy(() -> client.resolve(ref))
          .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isTransient()).isTrue())
          .hasMessageContaining(ref.toString())
          .hasMessageContaining("HTTP 503")
          .hasMessageContaining("injected by the test proxy")
          .hasMessageContaining("after " + QUICK.maxAttempts() + " attempts");
      assertThat(proxy.requestHeads()).hasSize(QUICK.maxAttempts());
    }
  }

  @Test
  void unreachableRegistryFailsAfterRetries() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    ImageReference ref = ImageReference.parse("127.0.0.1:" + closedPort + "/gone/app:1");

    assertThatThrownBy(() -> client.resolve(ref))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.isTransient()).isTrue())
        .hasMessageContaining(ref.toString())
        .hasMessageContaining("cannot reach the registry")
        .hasMessageContaining("ConnectException");
  }

  @Test
  void chunkedUploadBrokenByTheRegistryStartsAgain() throws IOException {
    byte[] data = TestImage.random(700_000, 31);
    OciDescriptor blob = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    RegistryClient chunked = RegistryClient.builder().retry(QUICK).chunkSize(256 * 1024).build();
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/retry/upload:1");
      proxy.failRequests("PATCH ", 503, 1);

      assertThat(chunked.pushBlob(ref, blob, BlobSource.of(data), null)).isEqualTo(PushOutcome.UPLOADED);

      assertThat(requestsStartingWith(proxy, "POST /v2/retry/upload/blobs/uploads/")).isEqualTo(2);
      assertThat(requestsStartingWith(proxy, "PATCH ")).isEqualTo(4);
    }
    chunked.fetchBlob(registry.ref("retry/upload:1"), blob, store, Map.of());
    assertThat(storedBytes(blob.digest())).isEqualTo(data);
  }
}
