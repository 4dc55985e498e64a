package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;
import org.slf4j.LoggerFactory;

/**
 * Spec section 7 cases 47-52 (remotes and compression): {@code GetRemotes}, compression variants and
 * their collection. estargz is not supported: where BuildKit's tests use it, uncompressed, gzip and
 * zstd stand in for it (each test says so).
 */
class RemotesConformanceTest {
  @TempDir Path root;
  CacheManager cm;
  ListAppender<ILoggingEvent> log;
  final List<Ref> opened = new ArrayList<>();

  @BeforeEach
  void open() throws IOException {
    log = new ListAppender<>();
    log.start();
    ((Logger) LoggerFactory.getLogger(CacheManager.class)).addAppender(log);
    cm = CacheManager.open(CacheConfig.at(root));
  }

  @AfterEach
  void close() {
    ((Logger) LoggerFactory.getLogger(CacheManager.class)).detachAppender(log);
    opened.forEach(Ref::release);
    cm.close();
  }

  /** One tar in the given compression, stored, with its media type and diffID. */
  private Layers.Blob stored(byte[] tar, Compression c, String mediaType) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream z = c.compress(out)) {
      z.write(tar);
    }
    byte[] blob = c == Compression.UNCOMPRESSED ? tar : out.toByteArray();
    return new Layers.Blob(blob, Descriptor.layer(mediaType, Digest.sha256(blob), blob.length, Digest.sha256(tar)))
        .store(cm.contentStore());
  }

  private ImmutableRef ref(Layers.Blob b) {
    ImmutableRef r = cm.getByBlob(b.desc(), null);
    opened.add(r);
    return r;
  }

  /**
   * Case 47: the blob of each compression is recorded with its media type and the
   * {@code containerd.io/uncompressed} annotation of the tar's digest, the one diffID of all of them;
   * {@code GetRemotes(Force, T)} gives every layer in T with that annotation, and the content store
   * ends with the blobs given and the variants made, nothing else (estargz is not supported:
   * uncompressed, gzip and zstd stand in).
   */
  @Test
  void case47_everyCompressionOfALayerCarriesTheUncompressedDigest() throws IOException {
    byte[] tar = Layers.tar(Layers.files("f", "content"));
    Digest diffId = Digest.sha256(tar);
    List<ImmutableRef> refs = new ArrayList<>();
    for (Compression c : Compression.values()) {
      ImmutableRef r = ref(stored(tar, c, c.ociMediaType()));
      refs.add(r);
      Descriptor d = ((ImmutableHandle) r).rec.descriptor();
      assertThat(d.mediaType()).as(c.name()).isEqualTo(c.ociMediaType());
      assertThat(d.annotations()).as(c.name()).containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString());
      assertThat(r.diffId()).as(c.name()).hasValue(diffId);
    }
    ImmutableRef top = cm.getByBlob(stored(Layers.tar(Layers.files("g", "top")), Compression.GZIP,
        MediaTypes.OCI_LAYER_GZIP).desc(), refs.get(0));
    opened.add(top);
    List<Digest> before = storedBlobs();
    for (Compression target : Compression.values()) {
      List<Descriptor> ds = top.getRemotes(false, RefConfig.forced(target), false).get(0).descriptors();
      assertThat(ds).as(target.name()).allSatisfy(d -> {
        assertThat(d.mediaType()).isEqualTo(target.ociMediaType());
        assertThat(storedBlobs()).contains(d.digest());
      });
      assertThat(ds.get(0).annotations()).containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString());
    }
    // The base was stored in every compression already (linked now); the top got two variants.
    assertThat(storedBlobs()).hasSize(before.size() + 2);
  }

  /** A two-layer chain of gzip blobs over {@code null}: the top ref (kept open). */
  private ImmutableRef twoGzipLayers() throws IOException {
    ImmutableRef base = ref(stored(Layers.tar(Layers.files("a", "1")), Compression.GZIP, MediaTypes.OCI_LAYER_GZIP));
    Layers.Blob top = stored(Layers.tar(Layers.files("b", "2")), Compression.GZIP, MediaTypes.OCI_LAYER_GZIP);
    ImmutableRef r = cm.getByBlob(top.desc(), base);
    opened.add(r);
    return r;
  }

  private List<Digest> storedBlobs() throws IOException {
    List<Digest> out = new ArrayList<>();
    cm.contentStore().walk(i -> out.add(i.digest()));
    return out;
  }

  private static List<List<String>> mediaTypes(List<Remote> remotes) {
    return remotes.stream().map(r -> r.descriptors().stream().map(Descriptor::mediaType).toList()).toList();
  }

  /** Case 48, with gzip and zstd standing in for BuildKit's gzip and estargz. */
  @Test
  void case48_getRemotesAllGivesEveryVariantCombination() throws IOException {
    ImmutableRef top = twoGzipLayers();
    List<Descriptor> gzip = top.getRemotes(false, RefConfig.defaults(), false).get(0).descriptors();
    List<Descriptor> zstd = top.getRemotes(false, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors();

    List<Remote> all = top.getRemotes(false, RefConfig.of(Compression.ZSTD), true);

    assertThat(all.get(0).descriptors()).extracting(Descriptor::digest)
        .containsExactly(gzip.get(0).digest(), gzip.get(1).digest());
    assertThat(all).extracting(r -> r.descriptors().stream().map(Descriptor::digest).toList())
        .containsExactlyInAnyOrder(
            List.of(gzip.get(0).digest(), gzip.get(1).digest()),
            List.of(gzip.get(0).digest(), zstd.get(1).digest()),
            List.of(zstd.get(0).digest(), zstd.get(1).digest()));
    assertThat(mediaTypes(all.subList(1, all.size()))).allSatisfy(types ->
        assertThat(types.get(1)).isEqualTo(MediaTypes.OCI_LAYER_ZSTD));
    assertThat(all).allSatisfy(r -> assertThat(r.descriptors()).extracting(
        d -> d.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)).containsExactly(
            gzip.get(0).annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION),
            gzip.get(1).annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)));
    // The top layer has no uncompressed variant: only the main remote.
    assertThat(top.getRemotes(false, RefConfig.of(Compression.UNCOMPRESSED), true)).hasSize(1);
    // Forced: no variant remotes either.
    assertThat(top.getRemotes(false, RefConfig.forced(Compression.ZSTD), true)).hasSize(1);
  }

  /**
   * Case 49: a non-distributable layer keeps its media type and URLs in its record, and in its
   * descriptor with {@code PreferNonDistributable:true}; with {@code false} the descriptor is of the
   * distributable type, without URLs.
   */
  @Test
  void case49_aNonDistributableLayerKeepsItsMediaTypeAndUrls() throws IOException {
    byte[] tar = Layers.tar(Layers.files("f", "foreign"));
    Layers.Blob b = stored(tar, Compression.GZIP, MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP);
    Descriptor withUrls = new Descriptor(b.desc().mediaType(), b.digest(), b.desc().size(), b.desc().annotations(),
        List.of("https://example.com/layer.tar.gz"));
    ImmutableRef r = cm.getByBlob(withUrls, null);
    opened.add(r);
    Descriptor d = ((ImmutableHandle) r).rec.descriptor();
    assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP);
    assertThat(d.urls()).containsExactly("https://example.com/layer.tar.gz");
    assertThat(TreeRefs.read(r.mount(true), "f")).isEqualTo("foreign");
    Descriptor kept = r.getRemotes(false, new RefConfig(Compression.GZIP, false, Compression.DEFAULT_LEVEL, true),
        false).get(0).descriptors().get(0);
    assertThat(kept.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP);
    assertThat(kept.urls()).containsExactly("https://example.com/layer.tar.gz");
    Descriptor plain = r.getRemotes(false, RefConfig.defaults(), false).get(0).descriptors().get(0);
    assertThat(plain.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
    assertThat(plain.urls()).isEmpty();
    assertThat(plain.digest()).isEqualTo(kept.digest());
  }

  /** Case 50, with gzip and zstd standing in for BuildKit's gzip and estargz. */
  @Test
  void case50_compressionVariantsAreSharedBetweenRefsAndOutliveTheirMaker() throws IOException {
    ImmutableRef a = cm.getByBlob(stored(Layers.tar(Layers.files("f", "shared")), Compression.GZIP,
        MediaTypes.OCI_LAYER_GZIP).desc(), null);
    Descriptor aGzip = a.getRemotes(false, RefConfig.defaults(), false).get(0).descriptors().get(0);
    Descriptor aZstd = a.getRemotes(false, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0);
    ImmutableRef b = ref(new Layers.Blob(new byte[0], Descriptor.layer(aZstd.mediaType(), aZstd.digest(),
        aZstd.size(), a.diffId().orElseThrow())));
    assertThat(b.id()).isNotEqualTo(a.id());
    List<Digest> before = storedBlobs();

    // From B, A's blob is B's gzip variant; from A, B's blob is A's zstd variant: nothing is converted.
    assertThat(b.getRemotes(false, RefConfig.forced(Compression.GZIP), false).get(0).descriptors().get(0).digest())
        .isEqualTo(aGzip.digest());
    assertThat(a.getRemotes(false, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0).digest())
        .isEqualTo(b.blob().orElseThrow());
    assertThat(storedBlobs()).isEqualTo(before);

    a.release();
    assertThat(cm.prune(PruneOptions.defaults(), u -> { }).removed()).isPositive();
    cm.collectGarbage(java.time.Duration.ZERO);

    assertThat(storedBlobs()).contains(aGzip.digest(), aZstd.digest());
    assertThat(b.getRemotes(false, RefConfig.forced(Compression.GZIP), false).get(0).descriptors().get(0).digest())
        .isEqualTo(aGzip.digest());
  }

  /**
   * Case 51: uncompressed, gzip and zstd blobs of one tar (estargz is not supported) keep its diffID
   * and unpack to one layer, once: the second and third refs find it unpacked. Converting between them
   * (every ordered pair) keeps the diffID and sets the annotation.
   */
  @Test
  void case51_everyCompressionOfOneTarUnpacksToTheSameLayerOnce() throws IOException {
    byte[] tar = Layers.tar(Layers.files("a", "1", "d/b", "2"));
    Digest diffId = Digest.sha256(tar);
    List<Map<String, String>> trees = new ArrayList<>();
    for (Compression c : Compression.values()) {
      ImmutableRef r = ref(stored(tar, c, c.ociMediaType()));
      assertThat(r.chainId()).as(c.name()).hasValue(diffId);
      trees.add(TreeRefs.walk(r.mount(true)));
      assertThat(r.mount(true).resolve("a").get().real())
          .isEqualTo(root.resolve("layers").resolve(diffId.encoded()).resolve("a"));
    }
    assertThat(trees).allSatisfy(t -> assertThat(t).isEqualTo(trees.get(0)));
    long unpacks;
    synchronized (log) {
      unpacks = log.list.stream().filter(e -> e.getFormattedMessage().startsWith("unpacking layer " + diffId)).count();
    }
    assertThat(unpacks).isEqualTo(1);
    for (Compression from : Compression.values()) {
      ImmutableRef r = ref(stored(tar, from, from.ociMediaType()));
      for (Compression to : Compression.values()) {
        Descriptor d = r.getRemotes(false, RefConfig.forced(to), false).get(0).descriptors().get(0);
        assertThat(d.mediaType()).as(from + " to " + to).isEqualTo(to.ociMediaType());
        assertThat(d.annotations()).as(from + " to " + to)
            .containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString());
        try (var in = to.decompress(cm.contentStore().open(d.digest()))) {
          assertThat(Digest.sha256(in.readAllBytes())).as(from + " to " + to).isEqualTo(diffId);
        }
      }
    }
  }

  /**
   * Case 52, with uncompressed, gzip and zstd standing in for BuildKit's estargz: three blobs of one
   * tar linked each way (a cycle through every pair), two refs on them.
   */
  @Test
  void case52_variantLinkCyclesAreCollectedOnceEveryRefIsPruned() throws IOException {
    ImmutableRef a = cm.getByBlob(stored(Layers.tar(Layers.files("f", "cycle")), Compression.GZIP,
        MediaTypes.OCI_LAYER_GZIP).desc(), null);
    Descriptor zstd = a.getRemotes(false, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0);
    Descriptor plain = a.getRemotes(false, RefConfig.forced(Compression.UNCOMPRESSED), false).get(0)
        .descriptors().get(0);
    ImmutableRef b = cm.getByBlob(Descriptor.layer(zstd.mediaType(), zstd.digest(), zstd.size(),
        a.diffId().orElseThrow()), null);
    Descriptor fromB = b.getRemotes(false, RefConfig.forced(Compression.UNCOMPRESSED), false).get(0)
        .descriptors().get(0);
    assertThat(fromB.digest()).isEqualTo(plain.digest());
    Digest gzip = a.blob().orElseThrow();
    assertThat(storedBlobs()).containsExactlyInAnyOrder(gzip, zstd.digest(), plain.digest());

    a.release();
    cm.prune(PruneOptions.defaults(), u -> { });
    cm.collectGarbage(java.time.Duration.ZERO);
    assertThat(storedBlobs()).as("B's blob keeps its variants").containsExactlyInAnyOrder(gzip, zstd.digest(),
        plain.digest());

    b.release();
    cm.prune(PruneOptions.defaults(), u -> { });
    cm.collectGarbage(java.time.Duration.ZERO);
    assertThat(storedBlobs()).isEmpty();
  }
}
