package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.testing.ImageTools;
import org.refcache.testing.LocalRegistry;
import org.refcache.testing.Resources;
import org.refcache.testing.TreeSnapshot;

/**
 * {@code refcache push} to a real registry (Debian's docker-registry on loopback): an image other
 * daemons and other tools (skopeo, umoci) read back as the same tree, blobs the registry has are not
 * sent again, and blobs pulled from another repository of the same registry are mounted, not fetched.
 */
class RegistryPushTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  private LocalRegistry registry;
  private ServiceFixture first;
  private ServiceFixture second;
  private ImageTools tools;
  /** A ref of two layers: an imported one and a committed mutable's (whose blob push makes). */
  private String built;

  @BeforeEach
  void startAndBuild() throws IOException {
    registry = LocalRegistry.start(tmp.resolve("registry"));
    tools = new ImageTools(tmp.resolve("tools"));
    first = ServiceFixture.start();
    Path tar = tmp.resolve("base.tar");
    Files.write(tar, LayerTar.tar(LayerTar.everyKind()));
    String base = first.ok("import", tar.toString());
    String mutable = first.ok("new", "--parent", base);
    Path tree = first.tree(mutable);
    Files.writeString(tree.resolve("etc/hello.txt"), "changed in the build\n");
    Files.delete(tree.resolve("etc/empty"));
    Files.createDirectories(tree.resolve("out"));
    Files.writeString(tree.resolve("out/result"), "built\n");
    built = first.ok("commit", mutable);
  }

  @AfterEach
  void stopEverything() throws IOException {
    Resources.closeAll(first, second, registry);
  }

  private static Map<String, String> described(Path tree) throws IOException {
    return TreeSnapshot.describe(TreeSnapshot.ofDirectory(tree, false), Instant.now().plusSeconds(3600));
  }

  private JsonNode push(String... args) throws IOException {
    String[] all = new String[args.length + 3];
    all[0] = "push";
    all[1] = "--format";
    all[2] = "json";
    System.arraycopy(args, 0, all, 3, args.length);
    return JSON.readTree(first.ok(all));
  }

  @Test
  void pushedFromOneRootAndPulledIntoAnotherTheTreesAreIdentical() throws IOException {
    String image = registry.address() + "/team/built:v1";
    JsonNode pushed = push(built, image);
    assertThat(pushed.path("layers").asInt()).isEqualTo(2);
    assertThat(pushed.path("uploaded").asInt()).isEqualTo(2);

    second = ServiceFixture.start();
    String pulled = second.ok("pull", image);
    Map<String, String> original = described(first.tree(built));
    assertThat(original).containsKeys("out/result", "data/big.bin", "dev/null", "run/pipe")
        .doesNotContainKey("etc/empty");
    assertThat(described(second.tree(pulled))).isEqualTo(original);
  }

  @Test
  void skopeoCopiesThePushedImageAndUmociUnpacksTheRefsTree() throws IOException {
    String image = registry.address() + "/team/built:v1";
    push(built, image);

    JsonNode config = JSON.readTree(tools.inspect(image, "--config"));
    assertThat(config.path("os").asText()).isEqualTo("linux");
    assertThat(config.path("architecture").asText()).isNotEmpty();
    assertThat(config.path("rootfs").path("diff_ids")).hasSize(2);

    Path layout = tmp.resolve("copy");
    tools.pull(image, layout, "v1");
    Path rootfs = tools.unpack(layout, "v1", tmp.resolve("bundle"));
    assertThat(described(rootfs)).isEqualTo(described(first.tree(built)));
  }

  @Test
  void aSecondPushSendsNoBlobTheRegistryHas() throws IOException {
    String image = registry.address() + "/team/built:v1";
    push(built, image);
    int uploadsBefore = uploads();

    JsonNode again = push(built, registry.address() + "/team/built:v2");
    assertThat(again.path("already_present").asInt()).isEqualTo(2);
    assertThat(uploads()).as("nothing uploaded: the config is the same bytes too").isEqualTo(uploadsBefore);
  }

  private int uploads() throws IOException {
    return (int) registry.accessLog().stream()
        .filter(a -> a.method().equals("PUT") && a.path().contains("/blobs/uploads/")).count();
  }

  @Test
  void aRefPulledFromAnotherRepositoryOfTheRegistryIsMountedNotFetched() throws IOException {
    String source = registry.address() + "/team/source:v1";
    push(built, source);
    second = ServiceFixture.start();
    String pulled = second.ok("pull", source);
    long blobGets = layerBlobGets();

    JsonNode pushed = JSON.readTree(second.ok("push", "--format", "json", pulled, registry.address() + "/other/copy:v1"));
    assertThat(pushed.path("mounted").asInt()).isEqualTo(2);
    assertThat(layerBlobGets()).as("no layer fetched to push it").isEqualTo(blobGets);
    assertThat(registry.accessLog()).anyMatch(a -> a.method().equals("POST") && a.path().contains("mount="));
  }

  private long layerBlobGets() throws IOException {
    return registry.accessLog().stream()
        .filter(a -> a.method().equals("GET") && a.path().contains("/blobs/sha256:") && a.status() == 200).count();
  }

  @Test
  void pushWithZstdGivesZstdLayersThatPullBackToTheSameTree() throws IOException {
    String image = registry.address() + "/team/zstd:v1";
    push("--compression", "zstd", built, image);
    JsonNode manifest = JSON.readTree(tools.inspect(image, "--raw"));
    assertThat(manifest.path("layers").findValuesAsText("mediaType"))
        .containsOnly("application/vnd.oci.image.layer.v1.tar+zstd");

    second = ServiceFixture.start();
    String pulled = second.ok("pull", image);
    assertThat(described(second.tree(pulled))).isEqualTo(described(first.tree(built)));
  }

  @Test
  void pushingAMutableTheServiceHoldsIsRefusedAsLocked() throws IOException {
    String mutable = first.ok("new", "--parent", built);
    ServiceFixture.Run r = first.cli("push", mutable, registry.address() + "/team/open:v1");
    assertThat(r.exit()).isEqualTo(4);
    assertThat(r.err()).contains(mutable);
  }
}
