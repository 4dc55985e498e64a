package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;
import org.refcache.core.oci.ImageConfig;
import org.refcache.core.oci.OciMediaTypes;
import org.refcache.core.registry.ImagePuller;
import org.refcache.core.registry.RegistryBlobs;
import org.refcache.core.remote.BlobSource;
import org.refcache.core.remote.ImageManifest;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.Platform;
import org.refcache.core.remote.RegistryClient;
import org.refcache.testing.CacheFixture;
import org.refcache.testing.LocalRegistry;

/**
 * Spec 6.4: the descriptors {@code GetRemotes} gives for lazy layers of a pulled image carry
 * {@code containerd.io/distribution.source.<host>=<repository,...>} from the layers' image refs, as
 * BuildKit's do, so a push can mount them without fetching them; a fetched layer carries none (its
 * stored source serves the push). Against Debian's docker-registry on loopback.
 */
class DistributionSourceTest extends CacheFixture {
  private static final String KEY = "containerd.io/distribution.source.127.0.0.1";

  private LocalRegistry registry;
  private RegistryClient client;
  private ImagePuller puller;

  @BeforeEach
  void startRegistry() throws IOException {
    registry = LocalRegistry.start(root.resolve("registry"));
    client = RegistryClient.builder().build();
    puller = new ImagePuller(cm, new RegistryBlobs(source -> client));
  }

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  /** Pushes an image of two gzip layers to {@code repositoryAndTag}, straight through the client. */
  private ImageReference pushImage(String repositoryAndTag) throws IOException {
    ImageReference target = registry.ref(repositoryAndTag);
    List<OciDescriptor> layers = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (String name : List.of("bottom", "top")) {
      byte[] tar = Layers.tar(Map.of(name + ".txt", "the " + name + " layer\n"));
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (OutputStream z = Compression.GZIP.compress(gz)) {
        z.write(tar);
      }
      byte[] blob = gz.toByteArray();
      OciDescriptor d = OciDescriptor.of(MediaTypes.OCI_LAYER_GZIP, blob);
      client.pushBlob(target, d, BlobSource.of(blob), null);
      layers.add(d);
      diffIds.add(Digest.sha256(tar));
    }
    byte[] config = ImageConfig.of(diffIds, List.of("bottom", "top"), Instant.EPOCH).toJson();
    OciDescriptor configBlob = OciDescriptor.of(OciMediaTypes.CONFIG, config);
    client.pushBlob(target, configBlob, BlobSource.of(config), null);
    client.pushManifest(target, ImageManifest.oci(configBlob, layers));
    return target;
  }

  private ImmutableRef pull(ImageReference image) throws IOException {
    return keep(puller.pull(client, image, Platform.LINUX_AMD64, false, false).top());
  }

  private static List<Descriptor> remote(ImmutableRef ref, RefConfig cfg) {
    return ref.getRemotes(false, cfg, false).get(0).descriptors();
  }

  @Test
  void lazyLayersNameTheRepositoryTheyWerePulledFromByHostWithoutPort() throws IOException {
    ImmutableRef top = pull(pushImage("team/app:v1"));

    List<Descriptor> ds = remote(top, RefConfig.defaults());
    assertThat(ds).hasSize(2).allSatisfy(d -> {
      assertThat(d.annotations()).containsEntry(KEY, "team/app");
      assertThat(d.annotations().keySet().stream().filter(k -> k.startsWith("containerd.io/distribution.source.")))
          .as("one registry, one key; its port is not part of it, as in BuildKit").containsExactly(KEY);
    });
    assertThat(registry.accessLog()).noneMatch(a -> a.method().equals("GET") && ds.stream()
        .anyMatch(d -> a.isBlobGet(d.digest()))).as("describing a lazy layer fetches nothing");
  }

  @Test
  void aLayerPulledForTwoRepositoriesNamesBothOnce() throws IOException {
    ImageReference first = pushImage("team/app:v1");
    ImageReference second = pushImage("other/copy:v1"); // the same blobs in another repository
    ImmutableRef once = pull(first);
    ImmutableRef again = pull(first); // the same image again: its repository is not repeated
    ImmutableRef top = pull(second);
    assertThat(List.of(again.id(), top.id())).as("the same blobs on the same parents: the same record")
        .containsOnly(once.id());

    assertThat(remote(top, RefConfig.defaults()))
        .allSatisfy(d -> assertThat(d.annotations()).containsEntry(KEY, "team/app,other/copy"));
  }

  @Test
  void aFetchedLayerCarriesNoDistributionSource() throws IOException {
    ImmutableRef top = pull(pushImage("team/app:v1"));
    top.extract(); // fetches and unpacks both layers

    assertThat(remote(top, RefConfig.defaults()))
        .allSatisfy(d -> assertThat(d.annotations()).doesNotContainKey(KEY)
            .containsKey(Descriptor.UNCOMPRESSED_ANNOTATION));
  }

  @Test
  void aLazyLayerConvertedToAnotherCompressionKeepsItsDistributionSource() throws IOException {
    ImmutableRef top = pull(pushImage("team/app:v1"));

    List<Descriptor> ds = remote(top, RefConfig.forced(Compression.ZSTD));
    assertThat(ds).allSatisfy(d -> {
      assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
      assertThat(d.annotations()).containsEntry(KEY, "team/app");
    });
  }
}
