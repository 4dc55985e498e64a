package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

/** Images travel between this client and skopeo (Debian's package) through the registry. */
class SkopeoInteropTest extends RegistryFixture {
  private static final Path SKOPEO = Path.of("/usr/bin/skopeo");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Runs skopeo with a private home and temporary directory; returns its stdout, failing on a non-zero exit. */
  private String skopeo(String... args) throws IOException {
    if (!Files.isExecutable(SKOPEO)) {
      throw new IllegalStateException(SKOPEO + " is missing: run scripts/install-deps.sh");
    }
    List<String> command = new ArrayList<>(List.of(SKOPEO.toString(), "--insecure-policy"));
    command.addAll(List.of(args));
    Path home = Files.createDirectories(root.resolve("skopeo-home"));
    Path out = root.resolve("skopeo.out");
    Path err = root.resolve("skopeo.err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("HOME", home.toString());
    pb.environment().put("TMPDIR", home.toString());
    pb.environment().put("XDG_RUNTIME_DIR", home.toString());
    Process p = pb.start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("skopeo did not finish: " + command);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("skopeo %s: %s", command, Files.readString(err, StandardCharsets.UTF_8)).isZero();
    return stdout;
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @Test
  void imageSkopeoPushedFromAnOciLayoutIsReadByTheClient() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 70);
    Path layout = root.resolve("layout");
    image.writeOciLayout(layout, "v1");
    ImageReference ref = registry.ref("skopeo/pushed:v1");

    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + ref);
    ResolvedImage resolved = client.resolve(ref);
    ImageConfig config = ImageConfig.parse(client.fetchConfig(resolved.reference(), resolved.manifest().config()));
    for (OciDescriptor layer : resolved.manifest().layers()) {
      client.fetchBlob(resolved.reference(), layer, store, Map.of());
    }

    assertThat(resolved.manifest().layers()).extracting(OciDescriptor::digest)
        .containsExactlyElementsOf(image.layers.stream().map(TestImage.Blob::digest).toList());
    assertThat(config.diffIds()).isEqualTo(image.diffIds);
    for (int i = 0; i < image.layers.size(); i++) {
      byte[] stored = storedBytes(resolved.manifest().layers().get(i).digest());
      assertThat(Digest.sha256(gunzip(stored))).as("diffID of layer %d", i).isEqualTo(config.diffIds().get(i));
    }
  }

  @Test
  void imageTheClientPushedIsInspectedAndCopiedBySkopeo() throws IOException {
    TestImage image = TestImage.twoLayers(Platform.LINUX_AMD64, 71);
    ImageReference ref = registry.ref("client/pushed:v1");
    image.push(client, ref);

    JsonNode inspected = JSON.readTree(skopeo("inspect", "--tls-verify=false", "docker://" + ref));
    Path copy = root.resolve("copy");
    skopeo("copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + copy + ":v1");

    assertThat(inspected.path("Digest").asText()).isEqualTo(image.manifestDigest().toString());
    assertThat(inspected.path("Architecture").asText()).isEqualTo("amd64");
    assertThat(inspected.path("Os").asText()).isEqualTo("linux");
    List<String> layers = new ArrayList<>();
    inspected.path("Layers").forEach(n -> layers.add(n.asText()));
    assertThat(layers).containsExactlyElementsOf(image.layers.stream().map(b -> b.digest().toString()).toList());
    for (TestImage.Blob b : image.blobs()) {
      assertThat(copy.resolve("blobs/sha256").resolve(b.digest().hex())).hasBinaryContent(b.bytes());
    }
  }

  @Test
  void indexTheClientPushedIsResolvedPerPlatformBySkopeo() throws IOException {
    TestImage amd64 = TestImage.twoLayers(Platform.LINUX_AMD64, 72);
    TestImage arm64 = TestImage.twoLayers(Platform.parse("linux/arm64"), 73);
    ImageReference ref = registry.ref("client/multi:v1");
    amd64.push(client, ref.byDigest(amd64.manifestDigest()));
    arm64.push(client, ref.byDigest(arm64.manifestDigest()));
    client.pushManifest(ref, ImageIndex.oci(List.of(amd64.manifestDescriptor(), arm64.manifestDescriptor())));

    JsonNode armConfig = JSON.readTree(skopeo("--override-arch", "arm64", "inspect", "--config", "--tls-verify=false",
        "docker://" + ref));
    JsonNode amdConfig = JSON.readTree(skopeo("--override-arch", "amd64", "inspect", "--config", "--tls-verify=false",
        "docker://" + ref));

    assertThat(armConfig.path("architecture").asText()).isEqualTo("arm64");
    assertThat(amdConfig.path("architecture").asText()).isEqualTo("amd64");
    assertThat(armConfig.path("rootfs").path("diff_ids").get(0).asText()).isEqualTo(arm64.diffIds.get(0).toString());
  }
}
