package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.testing.FaultyProxy;
import org.refcache.testing.ImageTools;
import org.refcache.testing.LocalRegistry;
import org.refcache.testing.Resources;
import org.refcache.testing.TreeSnapshot;

/**
 * {@code refcache pull} against a real registry (Debian's docker-registry on loopback) of an image
 * that umoci built and skopeo pushed: what is fetched when (the registry's access log), what the
 * mount shows (the tree umoci unpacks), and fetches that fail, break and outlive the service.
 */
class RegistryPullTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BIG = 6 << 20;

  @TempDir
  Path tmp;
  private LocalRegistry registry;
  private ServiceFixture svc;
  private FaultyProxy proxy;
  private ImageTools tools;
  private Path layout;
  /** The image's layer blob digests, bottom first. */
  private List<Digest> layers;

  @BeforeEach
  void buildImage() throws IOException {
    tools = new ImageTools(tmp.resolve("tools"));
    layout = tmp.resolve("layout");
    byte[] big = new byte[BIG];
    new Random(7).nextBytes(big);
    tools.build(layout, "v1", List.of(
        root -> {
          Files.createDirectories(root.resolve("etc"));
          Files.writeString(root.resolve("etc/base"), "base layer\n");
          Files.writeString(root.resolve("etc/gone"), "deleted by the top layer\n");
          Files.createSymbolicLink(root.resolve("etc/link"), Path.of("base"));
        },
        root -> Files.writeString(root.resolve("etc/middle"), "middle layer\n"),
        root -> {
          Files.writeString(root.resolve("top.txt"), "top layer\n");
          Files.write(root.resolve("big.bin"), big);
          Files.delete(root.resolve("etc/gone"));
        }));
    JsonNode manifest = manifestOf(layout, "v1");
    layers = new ArrayList<>();
    manifest.path("layers").forEach(l -> layers.add(Digest.parse(l.path("digest").asText())));
    assertThat(layers).hasSize(3);
  }

  @AfterEach
  void stopEverything() throws IOException {
    Resources.closeAll(svc, proxy, registry);
  }

  private static JsonNode manifestOf(Path layout, String tag) throws IOException {
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    for (JsonNode m : index.path("manifests")) {
      if (tag.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        String hex = m.path("digest").asText().substring("sha256:".length());
        return JSON.readTree(layout.resolve("blobs/sha256").resolve(hex).toFile());
      }
    }
    throw new AssertionError("no tag " + tag + " in " + layout);
  }

  private String pushed(String repository) throws IOException {
    registry = LocalRegistry.start(tmp.resolve("registry"));
    String image = registry.address() + "/" + repository;
    tools.push(layout, "v1", image, null);
    svc = ServiceFixture.start();
    return image;
  }

  private List<Digest> layerBlobsFetched() throws IOException {
    List<Digest> fetched = new ArrayList<>();
    for (LocalRegistry.Access a : registry.accessLog()) {
      for (Digest d : layers) {
        if (a.isBlobGet(d) && (a.status() == 200 || a.status() == 206)) {
          fetched.add(d);
        }
      }
    }
    return fetched;
  }

  @Test
  void pullFetchesNoLayerAndReadingATopLayerFileFetchesExactlyTheTopLayer() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);

    assertThat(layerBlobsFetched()).isEmpty();
    assertThat(Files.readString(svc.tree(id).resolve("top.txt"))).isEqualTo("top layer\n");
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2));

    // A path only the bottom layer has is found going down: the middle layer is fetched on the way.
    assertThat(Files.readString(svc.tree(id).resolve("etc/base"))).isEqualTo("base layer\n");
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2), layers.get(1), layers.get(0));
  }

  @Test
  void pulledTreeIsTheTreeUmociUnpacks() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);
    Path rootfs = tools.unpack(layout, "v1", tmp.resolve("bundle"));

    Instant later = Instant.now().plusSeconds(3600);
    Map<String, String> unpacked = TreeSnapshot.describe(TreeSnapshot.ofDirectory(rootfs, false), later);
    assertThat(unpacked).containsKeys("top.txt", "big.bin", "etc/base", "etc/middle", "etc/link");
    assertThat(TreeSnapshot.describe(TreeSnapshot.ofDirectory(svc.tree(id), false), later)).isEqualTo(unpacked);
    assertThat(svc.tree(id).resolve("etc/gone")).doesNotExist();
  }

  @Test
  void eagerPullFetchesEveryLayerBeforeItAnswers() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", "--eager", image);

    assertThat(layerBlobsFetched()).containsExactlyInAnyOrderElementsOf(layers);
    registry.kill(); // everything is local now
    assertThat(Files.readString(svc.tree(id).resolve("etc/middle"))).isEqualTo("middle layer\n");
  }

  @Test
  void concurrentReadsOfALazyRefFetchEachBlobOnce() throws Exception {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<byte[]>> reads = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        reads.add(pool.submit(() -> Files.readAllBytes(svc.tree(id).resolve("big.bin"))));
      }
      for (Future<byte[]> r : reads) {
        assertThat(r.get(2, TimeUnit.MINUTES)).hasSize(BIG);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2));
  }

  @Test
  void aLazyRefStillReadsAfterARestart() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);
    svc.restart();

    assertThat(Files.readString(svc.tree(id).resolve("top.txt"))).isEqualTo("top layer\n");
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2));
  }

  @Test
  void aFailedFetchIsAnIoErrorAndTheNextAccessFetchesAgain() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);
    registry.kill();

    assertThatThrownBy(() -> Files.readString(svc.tree(id).resolve("top.txt")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Input/output error");

    registry.startAgain();
    assertThat(Files.readString(svc.tree(id).resolve("top.txt"))).isEqualTo("top layer\n");
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2));
  }

  @Test
  void aRegistryStoppedInTheMiddleOfABlobAndStartedAgainResumesTheAccess() throws Exception {
    pushed("team/app:v1");
    proxy = new FaultyProxy(registry.port());
    String image = "127.0.0.1:" + proxy.port() + "/team/app:v1";
    String id = svc.ok("pull", image);
    proxy.holdBlobDownloads(BIG / 2);
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<byte[]> read = reader.submit(() -> Files.readAllBytes(svc.tree(id).resolve("big.bin")));
      assertThat(proxy.awaitHeld(60)).as("a blob download reached the middle").isTrue();
      registry.kill();
      registry.startAgain();
      proxy.release();

      assertThat(read.get(2, TimeUnit.MINUTES)).hasSize(BIG);
    } finally {
      proxy.release();
      reader.shutdownNow();
    }
    List<LocalRegistry.Access> topGets = registry.accessLog().stream()
        .filter(a -> a.isBlobGet(layers.get(2))).toList();
    assertThat(topGets).extracting(LocalRegistry.Access::status).contains(206);
  }

  @Test
  void basicAuthUsesTheServicesCredentialsAndAWrongPasswordFailsClearly() throws IOException {
    registry = LocalRegistry.startWithBasicAuth(tmp.resolve("registry"), "builder", "s3cret");
    String image = registry.address() + "/private/app:v1";
    tools.push(layout, "v1", image, "builder:s3cret");
    Path auth = tmp.resolve("auth.json");
    writeAuth(auth, registry.address(), "builder", "wrong");
    svc = ServiceFixture.prepare();
    svc.configure(c -> c.withAuthFile(auth));
    svc.startService();

    ServiceFixture.Run refused = svc.cli("pull", image);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains(image.substring(0, image.indexOf(':', registry.address().length())))
        .containsIgnoringCase("unauthorized");

    writeAuth(auth, registry.address(), "builder", "s3cret");
    String id = svc.ok("pull", image);
    assertThat(Files.readString(svc.tree(id).resolve("top.txt"))).isEqualTo("top layer\n");
  }

  private static void writeAuth(Path file, String registry, String user, String password) throws IOException {
    String basic = java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    Files.writeString(file, JSON.writeValueAsString(Map.of("auths", Map.of(registry, Map.of("auth", basic)))));
  }

  @Test
  void anEagerPullShowsEachLayersBytesOnATerminalAndNothingOtherwise() throws IOException {
    String image = pushed("team/app:v1");
    ServiceFixture.Run quiet = svc.cli("pull", "--eager", image);
    assertThat(quiet.exit()).isZero();
    assertThat(quiet.err()).isEmpty();

    String other = registry.address() + "/team/other:v1";
    tools.push(layout, "v1", other, null);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintWriter o = new java.io.PrintWriter(out, true, StandardCharsets.UTF_8);
    java.io.PrintWriter e = new java.io.PrintWriter(err, true, StandardCharsets.UTF_8);
    ServiceFixture second = ServiceFixture.start();
    try {
      int exit = org.refcache.cli.Main.run(new String[] {"pull", "--eager", other},
          new org.refcache.cli.Terminal(o, e, Map.of(DaemonConfig.SOCKET_ENV, second.socket.toString()), true, out));
      assertThat(exit).isZero();
    } finally {
      second.close();
    }
    String shown = err.toString(StandardCharsets.UTF_8);
    for (Digest d : layers) {
      assertThat(shown).contains("fetching " + d.hex().substring(0, 12) + ":");
    }
    assertThat(shown).contains("MiB/s").contains("done");
  }

  @Test
  void fetchedBlobsStayAfterAPruneAndItsCollection() throws IOException {
    String image = pushed("team/app:v1");
    String id = svc.ok("pull", image);
    assertThat(Files.readString(svc.tree(id).resolve("top.txt"))).isEqualTo("top layer\n");
    svc.ok("prune", "--all");

    Path blob = svc.root.resolve("content/blobs/sha256").resolve(layers.get(2).hex());
    assertThat(blob).exists();
    assertThat(Files.size(svc.tree(id).resolve("big.bin"))).isEqualTo(BIG);
    assertThat(layerBlobsFetched()).containsExactly(layers.get(2));
  }

  @Test
  void anImageTheRegistryDoesNotHaveIsNotFound() throws IOException {
    String image = pushed("team/app:v1");
    ServiceFixture.Run r = svc.cli("pull", image.replace(":v1", ":v2"));
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("team/app:v2");
  }
}
