package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.core.remote.RegistryClient;
import org.refcache.testing.ImageTools;
import org.refcache.testing.LocalRegistry;
import org.refcache.testing.Resources;
import org.refcache.testing.TreeSnapshot;

/**
 * Two things issue 13 asks of pull and push against a real registry (Debian's docker-registry on
 * loopback): {@code --platform} picks one image of a multi-platform image index that skopeo pushed
 * ({@code copy --all}), and a layer above the upload chunk size goes up in chunks and comes back whole.
 */
class RegistryIndexAndChunksTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
  private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

  @TempDir
  Path tmp;
  private LocalRegistry registry;
  private ServiceFixture first;
  private ServiceFixture second;
  private ImageTools tools;

  @BeforeEach
  void start() throws IOException {
    registry = LocalRegistry.start(tmp.resolve("registry"));
    tools = new ImageTools(tmp.resolve("tools"));
    first = ServiceFixture.start();
  }

  @AfterEach
  void stopEverything() throws IOException {
    Resources.closeAll(first, second, registry);
  }

  @Test
  void pullPicksThePlatformAskedForFromAnImageIndex() throws IOException {
    Path layout = tmp.resolve("layout");
    for (String arch : List.of("amd64", "arm64")) {
      tools.build(layout, arch, List.of(root -> Files.writeString(root.resolve("arch.txt"), arch + "\n")));
      tools.run(ImageTools.UMOCI.toString(), "config", "--image", layout + ":" + arch, "--os", "linux",
          "--architecture", arch);
    }
    tagIndex(layout, "multi", List.of("amd64", "arm64"));
    String image = registry.address() + "/team/multi:v1";
    tools.run(ImageTools.SKOPEO.toString(), "--insecure-policy", "copy", "--all", "--dest-tls-verify=false",
        "oci:" + layout + ":multi", "docker://" + image);
    assertThat(JSON.readTree(tools.inspect(image, "--raw")).path("mediaType").asText())
        .as("the registry serves the index").isEqualTo(INDEX_TYPE);

    String byDefault = first.ok("pull", image);
    assertThat(Files.readString(first.tree(byDefault).resolve("arch.txt"))).isEqualTo("amd64\n");
    String arm = first.ok("pull", "--platform", "linux/arm64", image);
    assertThat(Files.readString(first.tree(arm).resolve("arch.txt"))).isEqualTo("arm64\n");
    String amd = first.ok("pull", "--platform", "linux/amd64", image);
    assertThat(Files.readString(first.tree(amd).resolve("arch.txt"))).isEqualTo("amd64\n");

    ServiceFixture.Run none = first.cli("pull", "--platform", "linux/s390x", image);
    assertThat(none.exit()).isNotZero();
    assertThat(none.err()).contains("linux/s390x").contains("team/multi");
  }

  /**
   * Adds an image index of the layout's images tagged {@code tags} (each a platform's architecture) as
   * {@code layout:tag}: written by hand, as the OCI image spec lays it out, since umoci makes none.
   */
  private static void tagIndex(Path layout, String tag, List<String> tags) throws IOException {
    ObjectNode layoutIndex = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX_TYPE);
    ArrayNode manifests = index.putArray("manifests");
    for (String arch : tags) {
      JsonNode d = descriptorTagged(layoutIndex, arch);
      ObjectNode entry = manifests.addObject();
      entry.put("mediaType", MANIFEST_TYPE);
      entry.put("digest", d.path("digest").asText());
      entry.put("size", d.path("size").asLong());
      entry.putObject("platform").put("architecture", arch).put("os", "linux");
    }
    byte[] bytes = JSON.writeValueAsBytes(index);
    Digest digest = Digest.sha256(bytes);
    Files.write(layout.resolve("blobs/sha256").resolve(digest.toString().substring("sha256:".length())), bytes);
    ObjectNode entry = ((ArrayNode) layoutIndex.path("manifests")).addObject();
    entry.put("mediaType", INDEX_TYPE);
    entry.put("digest", digest.toString());
    entry.put("size", bytes.length);
    entry.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
    JSON.writeValue(layout.resolve("index.json").toFile(), layoutIndex);
  }

  private static JsonNode descriptorTagged(JsonNode layoutIndex, String tag) {
    for (JsonNode m : layoutIndex.path("manifests")) {
      if (tag.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return m;
      }
    }
    throw new AssertionError("no tag " + tag + " in the layout");
  }

  @Test
  void aLayerAboveTheChunkSizeIsPushedInChunksAndPullsBackWhole() throws IOException {
    // Random bytes: no compression brings the layer under the chunk size.
    byte[] big = new byte[RegistryClient.DEFAULT_CHUNK_SIZE + (1 << 20)];
    new Random(13).nextBytes(big);
    Path tar = tmp.resolve("big.tar");
    try (OutputStream f = Files.newOutputStream(tar); TarArchiveOutputStream out = new TarArchiveOutputStream(f)) {
      TarArchiveEntry e = new TarArchiveEntry("data/big.bin");
      e.setSize(big.length);
      e.setModTime(1_700_000_000_000L);
      out.putArchiveEntry(e);
      out.write(big);
      out.closeArchiveEntry();
    }
    String id = first.ok("import", tar.toString());
    String image = registry.address() + "/team/big:v1";
    JsonNode pushed = JSON.readTree(first.ok("push", "--format", "json", id, image));
    assertThat(pushed.path("uploaded").asInt()).isEqualTo(1);

    List<LocalRegistry.Access> chunks = registry.accessLog().stream()
        .filter(a -> a.method().equals("PATCH") && a.path().startsWith("/v2/team/big/blobs/uploads/")).toList();
    assertThat(chunks).as("the layer in chunks of %d bytes", RegistryClient.DEFAULT_CHUNK_SIZE).hasSize(2)
        .allMatch(a -> a.status() == 202);

    second = ServiceFixture.start();
    String pulled = second.ok("pull", image);
    assertThat(Files.readAllBytes(second.tree(pulled).resolve("data/big.bin"))).isEqualTo(big);
    Instant later = Instant.now().plusSeconds(3600);
    Map<String, String> original = TreeSnapshot.describe(TreeSnapshot.ofDirectory(first.tree(id), false), later);
    assertThat(TreeSnapshot.describe(TreeSnapshot.ofDirectory(second.tree(pulled), false), later)).isEqualTo(original);
  }
}
