package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

/** An index (OCI) or manifest list (Docker) resolves to the manifest of the wanted platform. */
class PlatformSelectionTest extends RegistryFixture {

  private Digest pushIndex(ImageReference ref, ImageIndex index, TestImage... images) throws IOException {
    for (TestImage image : images) {
      image.push(client, ref.byDigest(image.manifestDigest()));
    }
    return client.pushManifest(ref, index);
  }

  @Test
  void ociIndexResolvesToLinuxAmd64ByDefaultAndToTheNamedPlatform() throws IOException {
    TestImage amd64 = TestImage.twoLayers(Platform.LINUX_AMD64, 60);
    TestImage arm64 = TestImage.twoLayers(Platform.parse("linux/arm64/v8"), 61);
    ImageReference ref = registry.ref("multi/app:1");
    ImageIndex index = ImageIndex.oci(List.of(arm64.manifestDescriptor(), amd64.manifestDescriptor()));
    Digest indexDigest = pushIndex(ref, index, amd64, arm64);

    ResolvedImage byDefault = client.resolve(ref);
    ResolvedImage arm = client.resolve(ref, Platform.parse("linux/arm64"));
    byte[] armConfig = client.fetchConfig(arm.reference(), arm.manifest().config());

    assertThat(byDefault.digest()).isEqualTo(amd64.manifestDigest());
    assertThat(byDefault.manifest()).isEqualTo(amd64.manifest);
    assertThat(byDefault.index().digest()).isEqualTo(indexDigest);
    assertThat(byDefault.index().parse()).isEqualTo(index);
    assertThat(byDefault.platform()).isEqualTo(Platform.LINUX_AMD64);
    assertThat(byDefault.reference().tag()).isEqualTo("1");
    assertThat(arm.digest()).isEqualTo(arm64.manifestDigest());
    assertThat(ImageConfig.parse(armConfig).platform()).isEqualTo(Platform.parse("linux/arm64/v8"));
  }

  @Test
  void dockerManifestListResolvesToThePlatformsSchema2Manifest() throws IOException {
    TestImage amd64 = TestImage.twoLayers(Platform.LINUX_AMD64, 62).asDocker();
    TestImage arm = TestImage.twoLayers(Platform.parse("linux/arm/v7"), 63).asDocker();
    ImageReference ref = registry.ref("dockerlist/app:1");
    ImageIndex list = new ImageIndex(ManifestMediaTypes.DOCKER_MANIFEST_LIST,
        List.of(amd64.manifestDescriptor(), arm.manifestDescriptor()), Map.of());
    pushIndex(ref, list, amd64, arm);

    ResolvedImage resolved = client.resolve(ref, Platform.parse("linux/arm/v7"));
    client.fetchBlob(resolved.reference(), resolved.manifest().layers().get(0), store, Map.of());

    assertThat(resolved.index().mediaType()).isEqualTo(ManifestMediaTypes.DOCKER_MANIFEST_LIST);
    assertThat(resolved.manifestContent().mediaType()).isEqualTo(ManifestMediaTypes.DOCKER_MANIFEST);
    assertThat(resolved.digest()).isEqualTo(arm.manifestDigest());
    assertThat(resolved.manifest().config().mediaType()).isEqualTo(ManifestMediaTypes.DOCKER_CONFIG);
    assertThat(storedBytes(arm.layers.get(0).digest())).isEqualTo(arm.layers.get(0).bytes());
    assertThat(client.resolve(ref).digest()).isEqualTo(amd64.manifestDigest());
  }

  @Test
  void platformTheIndexLacksIsNotFoundListingWhatItHas() throws IOException {
    TestImage amd64 = TestImage.twoLayers(Platform.LINUX_AMD64, 64);
    TestImage arm64 = TestImage.twoLayers(Platform.parse("linux/arm64"), 65);
    ImageReference ref = registry.ref("multi/other:1");
    Digest indexDigest = pushIndex(ref,
        ImageIndex.oci(List.of(amd64.manifestDescriptor(), arm64.manifestDescriptor())), amd64, arm64);

    assertThatThrownBy(() -> client.resolve(ref, Platform.parse("linux/s390x")))
        .isInstanceOfSatisfying(PlatformNotFoundException.class, e -> {
          assertThat(e.available()).containsExactly(Platform.LINUX_AMD64, Platform.parse("linux/arm64"));
          assertThat(e.digest()).isEqualTo(indexDigest);
        })
        .hasMessageContaining(ref.toString())
        .hasMessageContaining(indexDigest.toString())
        .hasMessageContaining("linux/s390x")
        .hasMessageContaining("linux/amd64, linux/arm64");
  }
}
