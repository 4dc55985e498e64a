package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/** Pushing and pulling against Debian's docker-registry: round trip, HEAD, chunks, mounts, verification. */
class RegistryClientTest extends RegistryFixture {

  @Test
  void pushedImageIsPulledBackVerified() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 1);
    ImageReference ref = registry.ref("team/app:1.0");
    Digest pushed = image.push(client, ref);

    ResolvedImage resolved = client.resolve(ref);
    byte[] config = client.fetchConfig(resolved.reference(), resolved.manifest().config());
    for (OciDescriptor layer : resolved.manifest().layers()) {
      assertThat(client.fetchBlob(resolved.reference(), layer, store, Map.of("source", "test")))
          .isEqualTo(layer.digest());
    }

    assertThat(pushed).isEqualTo(image.manifestDigest());
    assertThat(resolved.digest()).isEqualTo(image.manifestDigest());
    assertThat(resolved.reference().toString()).isEqualTo(ref + "@" + image.manifestDigest());
    assertThat(resolved.manifestContent().bytes()).isEqualTo(image.manifestBytes);
    assertThat(resolved.manifest()).isEqualTo(image.manifest);
    assertThat(resolved.index()).isNull();
    assertThat(config).isEqualTo(image.config.bytes());
    assertThat(ImageConfig.parse(config).diffIds()).isEqualTo(image.diffIds);
    for (TestImage.Blob layer : image.layers) {
      assertThat(storedBytes(layer.digest())).isEqualTo(layer.bytes());
      assertThat(store.info(layer.digest()).orElseThrow().labels()).containsEntry("source", "test");
    }
    assertThat(ingestLeftovers()).isEmpty();
  }

  @Test
  void pushSkipsBlobsTheRepositoryHas() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 2);
    ImageReference ref = registry.ref("skip/app:1");
    image.push(client, ref);
    int uploadsBefore = requests("POST", "/blobs/uploads/").size();

    for (TestImage.Blob b : image.blobs()) {
      assertThat(client.pushBlob(ref, b.descriptor(), BlobSource.of(b.bytes()), null))
          .isEqualTo(PushOutcome.ALREADY_PRESENT);
    }

    assertThat(uploadsBefore).isEqualTo(3);
    assertThat(requests("POST", "/blobs/uploads/")).hasSize(3);
    assertThat(requests("HEAD", "/v2/skip/app/blobs/")).hasSize(6);
    assertThat(client.blobSize(ref, image.layers.get(0).digest())).contains((long) image.layers.get(0).bytes().length);
    assertThat(client.blobSize(ref, Digest.sha256("absent"))).isEmpty();
  }

  @Test
  void largeBlobIsUploadedInChunks() throws IOException {
    RegistryClient chunked = RegistryClient.builder().retry(QUICK).chunkSize(256 * 1024).build();
    byte[] data = TestImage.random(1_000_000, 3);
    OciDescriptor blob = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    ImageReference ref = registry.ref("chunks/app:1");

    assertThat(chunked.pushBlob(ref, blob, BlobSource.of(data), null)).isEqualTo(PushOutcome.UPLOADED);
    chunked.fetchBlob(ref, blob, store, Map.of());

    assertThat(storedBytes(blob.digest())).isEqualTo(data);
    assertThat(requests("PATCH", "/v2/chunks/app/blobs/uploads/")).hasSize(4).allMatch(a -> a.status() == 202);
    assertThat(requests("PUT", "/v2/chunks/app/blobs/uploads/")).hasSize(1).allMatch(a -> a.status() == 201);
  }

  @Test
  void smallBlobIsUploadedInOneRequest() throws IOException {
    byte[] data = TestImage.random(10_000, 4);
    OciDescriptor blob = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    ImageReference ref = registry.ref("whole/app:1");

    assertThat(client.pushBlob(ref, blob, BlobSource.of(data), null)).isEqualTo(PushOutcome.UPLOADED);

    assertThat(requests("PATCH", "/blobs/uploads/")).isEmpty();
    assertThat(requests("PUT", "/v2/whole/app/blobs/uploads/")).hasSize(1).allMatch(a -> a.status() == 201);
    assertThat(client.blobSize(ref, blob.digest())).contains((long) data.length);
  }

  @Test
  void blobOfAnotherRepositoryIsMountedWithoutUpload() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 5);
    ImageReference source = registry.ref("base/app:1");
    image.push(client, source);
    ImageReference target = registry.ref("derived/app:1");

    for (TestImage.Blob b : image.blobs()) {
      assertThat(client.pushBlob(target, b.descriptor(), BlobSource.of(b.bytes()), "base/app"))
          .isEqualTo(PushOutcome.MOUNTED);
    }
    client.pushManifest(target, ManifestMediaTypes.OCI_MANIFEST, image.manifestBytes);
    ResolvedImage pulled = client.resolve(target);
    client.fetchBlob(pulled.reference(), pulled.manifest().layers().get(1), store, Map.of());

    assertThat(requests("POST", "/v2/derived/app/blobs/uploads/?mount=")).hasSize(3).allMatch(a -> a.status() == 201);
    assertThat(requests("PUT", "/v2/derived/app/blobs/uploads/")).isEmpty();
    assertThat(storedBytes(image.layers.get(1).digest())).isEqualTo(image.layers.get(1).bytes());
  }

  @Test
  void mountFromARepositoryWithoutTheBlobFallsBackToUpload() throws IOException {
    byte[] data = TestImage.random(5_000, 6);
    OciDescriptor blob = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    ImageReference target = registry.ref("fallback/app:1");

    assertThat(client.pushBlob(target, blob, BlobSource.of(data), "nowhere/app")).isEqualTo(PushOutcome.UPLOADED);

    assertThat(requests("POST", "/v2/fallback/app/blobs/uploads/?mount=")).hasSize(1).allMatch(a -> a.status() == 202);
    assertThat(client.blobSize(target, blob.digest())).contains((long) data.length);
  }

  @Test
  void corruptedBlobIsRefusedNamingImageAndDigest() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 7);
    ImageReference ref = registry.ref("corrupt/app:1");
    image.push(client, ref);
    TestImage.Blob layer = image.layers.get(1);
    byte[] bad = layer.bytes().clone();
    bad[bad.length / 2] ^= 0x5a;
    Files.write(registry.blobData(layer.digest()), bad);

    assertThatThrownBy(() -> client.fetchBlob(ref, layer.descriptor(), store, Map.of()))
        .isInstanceOfSatisfying(RemoteDigestMismatchException.class, e -> {
          assertThat(e.expected()).isEqualTo(layer.digest());
          assertThat(e.actual()).isEqualTo(Digest.sha256(bad));
          assertThat(e.image()).isEqualTo(ref);
        })
        .hasMessageContaining(ref.toString())
        .hasMessageContaining(layer.digest().toString());
    assertNothingCommittedOrLeft();
    assertThat(store.info(layer.digest())).isEmpty();
  }

  @Test
  void verifyingStreamFailsAtTheEndOfACorruptedBlob() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 8);
    ImageReference ref = registry.ref("corrupt/stream:1");
    image.push(client, ref);
    TestImage.Blob layer = image.layers.get(0);
    byte[] bad = layer.bytes().clone();
    bad[0] ^= 0x01;
    Files.write(registry.blobData(layer.digest()), bad);

    try (InputStream in = client.openBlob(ref, layer.descriptor())) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(RemoteDigestMismatchException.class)
          .hasMessageContaining(layer.digest().toString());
      assertThatThrownBy(in::read).as("the stream never ends cleanly after a mismatch")
          .isInstanceOf(RemoteDigestMismatchException.class);
    }
    try (InputStream in = client.openBlob(ref, image.layers.get(1).descriptor())) {
      assertThat(in.readAllBytes()).isEqualTo(image.layers.get(1).bytes());
    }
  }

  @Test
  void corruptedConfigIsRefused() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 9);
    ImageReference ref = registry.ref("corrupt/config:1");
    image.push(client, ref);
    byte[] bad = image.config.bytes().clone();
    bad[2] = 'X';
    Files.write(registry.blobData(image.config.digest()), bad);

    assertThatThrownBy(() -> client.fetchConfig(ref, image.config.descriptor()))
        .isInstanceOf(RemoteDigestMismatchException.class)
        .hasMessageContaining(image.config.digest().toString());
  }

  @Test
  void blobLongerThanItsDescriptorIsRefused() throws IOException {
    byte[] data = TestImage.random(4_000, 10);
    OciDescriptor real = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    ImageReference ref = registry.ref("size/app:1");
    client.pushBlob(ref, real, BlobSource.of(data), null);
    OciDescriptor claimsShorter = OciDescriptor.of(MediaTypes.OCI_LAYER, real.digest(), 3_000);

    assertThatThrownBy(() -> client.fetchBlob(ref, claimsShorter, store, Map.of()))
        .isInstanceOfSatisfying(RemoteSizeMismatchException.class, e -> {
          assertThat(e.expected()).isEqualTo(3_000);
          assertThat(e.actual()).isEqualTo(4_000);
        })
        .hasMessageContaining(real.digest().toString());
    assertNothingCommittedOrLeft();
  }

  @Test
  void missingManifestAndBlobAreTypedNotFound() throws IOException {
    ImageReference ref = registry.ref("absent/app:nope");
    Digest missing = Digest.sha256("never pushed");

    assertThatThrownBy(() -> client.resolve(ref)).isInstanceOf(ManifestNotFoundException.class)
        .hasMessageContaining(ref.toString());
    assertThatThrownBy(() -> client.fetchBlob(ref, OciDescriptor.of(MediaTypes.OCI_LAYER, missing, 10), store, Map.of()))
        .isInstanceOf(BlobNotFoundException.class)
        .hasMessageContaining(ref.toString())
        .hasMessageContaining(missing.toString());
    assertThatThrownBy(() -> client.fetchManifest(ref.withDigest(missing)))
        .isInstanceOf(ManifestNotFoundException.class)
        .hasMessageContaining(missing.toString());
    assertNothingCommittedOrLeft();
  }

  @Test
  void manifestReferencingAMissingBlobIsRefusedNamingTheBlob() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 11);
    ImageReference ref = registry.ref("partial/app:1");
    client.pushBlob(ref, image.config.descriptor(), BlobSource.of(image.config.bytes()), null);
    client.pushBlob(ref, image.layers.get(0).descriptor(), BlobSource.of(image.layers.get(0).bytes()), null);

    assertThatThrownBy(() -> client.pushManifest(ref, image.manifest))
        .isInstanceOfSatisfying(BlobNotFoundException.class,
            e -> assertThat(e.digest()).isEqualTo(image.layers.get(1).digest()))
        .hasMessageContaining(image.layers.get(1).digest().toString());
  }

  @Test
  void sourceThatDoesNotMatchItsDigestIsNotCommitted() throws IOException {
    byte[] data = TestImage.random(600_000, 12);
    OciDescriptor claimed = OciDescriptor.of(MediaTypes.OCI_LAYER, data);
    byte[] other = data.clone();
    other[100] ^= 1;
    ImageReference ref = registry.ref("lying/app:1");
    RegistryClient chunked = RegistryClient.builder().retry(QUICK).chunkSize(256 * 1024).build();

    for (RegistryClient c : List.of(client, chunked)) {
      assertThatThrownBy(() -> c.pushBlob(ref, claimed, BlobSource.of(other), null))
          .isInstanceOf(RemoteDigestMismatchException.class)
          .hasMessageContaining(claimed.digest().toString());
    }
    assertThat(client.blobSize(ref, claimed.digest())).isEmpty();
    assertThat(client.blobSize(ref, Digest.sha256(other))).isEmpty();
  }

  @Test
  void manifestFetchedByTagIsVerifiedAgainstTheRegistrysDigest() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 13);
    ImageReference ref = registry.ref("verify/app:1");
    image.push(client, ref);
    Digest d = image.manifestDigest();
    // The registry serves a tag from the revision link and the blob it names: corrupting that blob
    // makes the bytes differ from the digest the registry announces.
    byte[] bad = new String(image.manifestBytes, StandardCharsets.UTF_8).replace("\"size\"", "\"size\" ")
        .getBytes(StandardCharsets.UTF_8);
    Files.write(registry.blobData(d), bad);

    assertThatThrownBy(() -> client.fetchManifest(ref))
        .isInstanceOf(RemoteDigestMismatchException.class)
        .hasMessageContaining(d.toString());
    assertThatThrownBy(() -> client.fetchManifest(ref.withDigest(d)))
        .isInstanceOf(RemoteDigestMismatchException.class)
        .hasMessageContaining(d.toString());
  }
}
