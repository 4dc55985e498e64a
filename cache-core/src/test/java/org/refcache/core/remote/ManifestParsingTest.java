package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/** Manifests, indexes and configs: what is read, what is refused and why. */
class ManifestParsingTest {
  private static final Digest CONFIG = Digest.sha256("config");
  private static final Digest LAYER = Digest.sha256("layer");

  private static byte[] json(String s) {
    return s.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void ociManifestRoundTrips() throws MalformedManifestException {
    ImageManifest m = new ImageManifest(ManifestMediaTypes.OCI_MANIFEST,
        OciDescriptor.of(ManifestMediaTypes.OCI_CONFIG, CONFIG, 10),
        List.of(new OciDescriptor(MediaTypes.OCI_LAYER_GZIP, LAYER, 20, Map.of("a", "b"), List.of(), null)),
        Map.of("org.opencontainers.image.created", "2026"));

    assertThat(Manifest.parse(m.toJson(), null)).isEqualTo(m);
  }

  @Test
  void mediaTypeComesFromTheBodyElseTheContentTypeElseTheFields() throws MalformedManifestException {
    String manifest = "{'schemaVersion':2,'config':{'mediaType':'" + ManifestMediaTypes.DOCKER_CONFIG + "','digest':'"
        + CONFIG + "','size':1},'layers':[]}";
    String index = "{'schemaVersion':2,'manifests':[]}";

    assertThat(Manifest.parse(json(manifest), ManifestMediaTypes.DOCKER_MANIFEST + "; charset=utf-8").mediaType())
        .isEqualTo(ManifestMediaTypes.DOCKER_MANIFEST);
    assertThat(Manifest.parse(json(manifest), null).mediaType()).isEqualTo(ManifestMediaTypes.OCI_MANIFEST);
    assertThat(Manifest.parse(json(index), "application/json")).isInstanceOf(ImageIndex.class);
  }

  @Test
  void indexEntriesCarryTheirPlatforms() throws MalformedManifestException {
    String index = "{'schemaVersion':2,'mediaType':'" + ManifestMediaTypes.DOCKER_MANIFEST_LIST + "','manifests':["
        + "{'mediaType':'" + ManifestMediaTypes.DOCKER_MANIFEST + "','digest':'" + CONFIG + "','size':5,"
        + "'platform':{'architecture':'arm','os':'linux','variant':'v7'}},"
        + "{'mediaType':'" + ManifestMediaTypes.DOCKER_MANIFEST + "','digest':'" + LAYER + "','size':6,"
        + "'platform':{'architecture':'amd64','os':'linux'}}]}";

    ImageIndex parsed = (ImageIndex) Manifest.parse(json(index), null);

    assertThat(parsed.platforms()).containsExactly(Platform.parse("linux/arm/v7"), Platform.LINUX_AMD64);
    assertThat(parsed.select(Platform.LINUX_AMD64).orElseThrow().digest()).isEqualTo(LAYER);
    assertThat(parsed.select(Platform.parse("linux/arm64"))).isEmpty();
  }

  @Test
  void schema1AndUnknownKindsAreRefused() {
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':1,'name':'x','fsLayers':[]}"), null))
        .isInstanceOf(MalformedManifestException.class)
        .hasMessageContaining("schema 1");
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'mediaType':'application/vnd.x+json'}"), null))
        .hasMessageContaining("unsupported manifest media type \"application/vnd.x+json\"");
  }

  @Test
  void malformedFieldsAreNamed() {
    assertThatThrownBy(() -> Manifest.parse(json("[1]"), null)).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> Manifest.parse("{".getBytes(StandardCharsets.UTF_8), null))
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'layers':[]}"), null))
        .hasMessageContaining("manifest config is not a descriptor");
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'config':{'mediaType':'x','digest':'sha256:00',"
        + "'size':1},'layers':[]}"), null))
        .hasMessageContaining("manifest config: invalid digest");
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'config':{'mediaType':'x','digest':'" + CONFIG
        + "','size':-1},'layers':[]}"), null))
        .hasMessageContaining("has no valid \"size\"");
    assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'config':{'mediaType':'x','digest':'" + CONFIG
        + "','size':1},'layers':{}}"), null))
        .hasMessageContaining("\"layers\" is not an array");
    assertThatThrownBy(() -> Manifest.parse(json("{'config':{}}"), null))
        .hasMessageContaining("\"schemaVersion\": 2");
  }

  @Test
  void imageConfigGivesPlatformAndDiffIds() throws MalformedManifestException {
    ImageConfig c = ImageConfig.parse(TestImage.configJson(Platform.parse("linux/arm/v7"), List.of(LAYER, CONFIG)));

    assertThat(c.platform()).isEqualTo(Platform.parse("linux/arm/v7"));
    assertThat(c.diffIds()).containsExactly(LAYER, CONFIG);
    assertThatThrownBy(() -> ImageConfig.parse(json("{'os':'linux','architecture':'amd64'}")))
        .hasMessageContaining("no \"rootfs\"");
    assertThatThrownBy(() -> ImageConfig.parse(json("{'os':'linux','architecture':'amd64',"
        + "'rootfs':{'type':'layers','diff_ids':['nope']}}")))
        .hasMessageContaining("diff_ids[0]");
  }
}
