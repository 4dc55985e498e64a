package org.refcache.core.remote;

import org.refcache.testing.FaultyProxy;
import org.refcache.testing.LocalRegistry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.MediaTypes;

/** Blob transfers that break in the middle resume with a Range request from the byte reached. */
class ResumptionTest extends RegistryFixture {
  private static final Pattern RANGE = Pattern.compile("(?i)\r\nRange: bytes=([0-9]+)-\r\n");

  /** Records resumptions. */
  static final class Resumptions implements TransferListener {
    final List<Long> at = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void resumed(ImageReference image, OciDescriptor blob, long atByte, IOException cause) {
      at.add(atByte);
    }
  }

  private OciDescriptor pushBlob(ImageReference ref, byte[] data) throws IOException {
    OciDescriptor blob = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    client.pushBlob(ref, blob, BlobSource.of(data), null);
    return blob;
  }

  @Test
  void cutTransferResumesWithRangeAndCommitsVerifiedBlob() throws IOException {
    byte[] data = TestImage.random(2_000_000, 20);
    OciDescriptor blob = pushBlob(registry.ref("resume/app:1"), data);
    Resumptions heard = new Resumptions();
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      RegistryClient viaProxy = RegistryClient.builder().retry(QUICK).listener(heard).build();
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/resume/app:1");
      proxy.cutBlobDownloads(300_000, 2);

      viaProxy.fetchBlob(ref, blob, store, Map.of());

      List<Long> ranges = proxy.requestHeads().stream().filter(h -> h.startsWith("GET ") && h.contains("/blobs/"))
          .map(h -> {
            Matcher m = RANGE.matcher(h);
            return m.find() ? Long.parseLong(m.group(1)) : 0L;
          }).toList();
      assertThat(ranges).hasSize(3);
      assertThat(ranges.get(0)).isZero();
      assertThat(ranges.get(1)).isPositive().isLessThan(300_000);
      assertThat(ranges.get(2)).isGreaterThan(ranges.get(1)).isLessThan(600_000);
      assertThat(heard.at).containsExactly(ranges.get(1), ranges.get(2));
    }
    assertThat(storedBytes(blob.digest())).isEqualTo(data);
    assertThat(requests("GET", "/blobs/" + blob.digest()).stream().map(LocalRegistry.Access::status))
        .containsExactly(200, 206, 206);
    assertThat(ingestLeftovers()).isEmpty();
  }

  @Test
  void transferThatKeepsBreakingGivesUpNamingTheBlob() throws IOException {
    byte[] data = TestImage.random(1_000_000, 21);
    ImageReference direct = registry.ref("broken/app:1");
    OciDescriptor blob = pushBlob(direct, data);
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      RegistryClient viaProxy = RegistryClient.builder().retry(QUICK).build();
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/broken/app:1");
      proxy.cutBlobDownloads(100_000, Integer.MAX_VALUE);

      assertThatThrownBy(() -> viaProxy.fetchBlob(ref, blob, store, Map.of()))
          .isInstanceOfSatisfying(RegistryException.class, e -> {
            assertThat(e.isTransient()).isTrue();
            assertThat(e.digest()).isEqualTo(blob.digest());
          })
          .hasMessageContaining(ref.toString())
          .hasMessageContaining(blob.digest().toString())
          .hasMessageContaining("broke " + (QUICK.maxResumes() + 1) + " times");
      assertThat(proxy.requestHeads().stream().filter(h -> h.contains("/blobs/"))).hasSize(QUICK.maxResumes() + 1);
    }
    assertNothingCommittedOrLeft();
  }

  @Test
  void registryKilledMidTransferAndStartedAgainResumes() throws IOException {
    byte[] data = TestImage.random(48 << 20, 22);
    ImageReference ref = registry.ref("restart/app:1");
    OciDescriptor blob = pushBlob(ref, data);
    Resumptions heard = new Resumptions();
    RegistryClient listening = RegistryClient.builder().retry(QUICK).listener(heard).build();
    byte[] got = new byte[data.length];

    try (InputStream in = listening.openBlob(ref, blob)) {
      int first = in.readNBytes(got, 0, 1 << 20);
      registry.kill();
      registry.startAgain();
      int rest = in.readNBytes(got, first, data.length - first);
      assertThat(first + rest).isEqualTo(data.length);
      assertThat(in.read()).as("the end, reached only after verification").isEqualTo(-1);
    }

    assertThat(got).isEqualTo(data);
    assertThat(heard.at).hasSize(1);
    assertThat(heard.at.get(0)).isGreaterThanOrEqualTo(1 << 20).isLessThan(data.length);
    assertThat(requests("GET", "/blobs/" + blob.digest())).extracting(LocalRegistry.Access::status).contains(206);
  }

  @Test
  void stalledTransferCountsAsBrokenAfterTheReadTimeoutAndResumes() throws IOException {
    byte[] data = TestImage.random(1_500_000, 23);
    OciDescriptor blob = pushBlob(registry.ref("stall/app:1"), data);
    Resumptions heard = new Resumptions();
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      RegistryClient impatient = RegistryClient.builder().retry(QUICK).listener(heard)
          .readTimeout(java.time.Duration.ofMillis(300)).build();
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/stall/app:1");
      proxy.stallBlobDownloads(200_000, 1);

      impatient.fetchBlob(ref, blob, store, Map.of());
    }
    assertThat(heard.at).hasSize(1);
    assertThat(storedBytes(blob.digest())).isEqualTo(data);
    assertThat(registry.log()).doesNotContain("panic");
  }

  @Test
  void redirectedDownloadIsFollowedKeepingItsRange() throws IOException {
    byte[] data = TestImage.random(800_000, 24);
    OciDescriptor blob = pushBlob(registry.ref("moved/app:1"), data);
    try (FaultyProxy proxy = new FaultyProxy(registry.port())) {
      ImageReference ref = ImageReference.parse("127.0.0.1:" + proxy.port() + "/moved/app:1");
      proxy.cutBlobDownloads(100_000, 1);
      proxy.redirectBlobDownloads(registry.port(), 0);

      try (InputStream in = client.openBlob(ref, blob)) {
        byte[] first = in.readNBytes(50_000);
        proxy.redirectBlobDownloads(registry.port(), 1);
        byte[] rest = in.readAllBytes();
        assertThat(first.length + rest.length).isEqualTo(data.length);
      }
      assertThat(proxy.requestHeads()).filteredOn(h -> h.startsWith("GET ")).hasSize(2);
    }
    assertThat(requests("GET", "/blobs/" + blob.digest())).extracting(LocalRegistry.Access::status)
        .as("first through the proxy, then the resumed range at the redirect's target").containsExactly(200, 206);
  }
}
