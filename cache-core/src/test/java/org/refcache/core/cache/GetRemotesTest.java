package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;

/**
 * Blobs out (spec 6.4): {@code getRemotes} on refs built here (committed uppers, diffs, merges), the
 * blobs it makes (what they hold, how they are compressed, that they are reused and recorded), and
 * that the garbage collector keeps them.
 */
class GetRemotesTest {
  @TempDir Path root;
  @TempDir Path other;
  CacheManager cm;
  final List<Ref> opened = new ArrayList<>();

  @BeforeEach
  void open() throws IOException {
    cm = CacheManager.open(CacheConfig.at(root));
  }

  @AfterEach
  void close() {
    opened.forEach(Ref::release);
    cm.close();
  }

  private ImmutableRef built(ImmutableRef parent, TreeRefs.Edit edit) throws IOException {
    ImmutableRef r = TreeRefs.layer(cm, parent, edit);
    opened.add(r);
    return r;
  }

  private ImmutableRef keep(ImmutableRef r) {
    opened.add(r);
    return r;
  }

  private List<Digest> storedBlobs() throws IOException {
    List<Digest> out = new ArrayList<>();
    cm.contentStore().walk(i -> out.add(i.digest()));
    return out;
  }

  /** The tree a blob unpacks to, as a base layer in a cache of its own. */
  private Map<String, String> treeOf(Remote remote) throws IOException {
    try (CacheManager second = CacheManager.open(CacheConfig.at(other.resolve("c" + System.nanoTime())))) {
      ImmutableRef parent = null;
      for (Descriptor d : remote.descriptors()) {
        try (InputStream in = remote.provider().open(d)) {
          second.contentStore().ingest("t", in, d.size(), d.digest(), Map.of());
        }
        ImmutableRef next = second.getByBlob(d, parent);
        if (parent != null) {
          parent.release();
        }
        parent = next;
      }
      try {
        return TreeRefs.walk(parent.mount(true));
      } finally {
        parent.release();
      }
    }
  }

  @Test
  void aCommittedUpperGetsAGzipBlobOfItsTreeRecordedWithItsDiffId() throws IOException {
    ImmutableRef base = built(null, t -> {
      TreeRefs.dir(t, "d", 0755, 1);
      TreeRefs.file(t, "d/f", "one", 2);
    });
    ImmutableRef top = built(base, t -> {
      TreeRefs.file(t, "g", "two", 3);
      t.unlink("d/f");
    });
    assertThat(top.blob()).isEmpty();

    List<Remote> remotes = top.getRemotes(true, RefConfig.defaults(), false);

    assertThat(remotes).hasSize(1);
    List<Descriptor> ds = remotes.get(0).descriptors();
    assertThat(ds).hasSize(2);
    assertThat(ds).allSatisfy(d -> {
      assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
      assertThat(d.annotations()).containsKeys(Descriptor.UNCOMPRESSED_ANNOTATION, Remotes.CREATED_AT_ANNOTATION);
    });
    assertThat(top.blob()).hasValue(ds.get(1).digest());
    assertThat(top.diffId().map(Digest::toString)).hasValue(ds.get(1).annotations()
        .get(Descriptor.UNCOMPRESSED_ANNOTATION));
    assertThat(top.chainId()).isPresent();
    assertThat(top.blobChainId()).isPresent();
    assertThat(top.fileList()).containsExactly("d", "d/.wh.f", "g");
    assertThat(treeOf(remotes.get(0))).isEqualTo(TreeRefs.walk(top.mount(true)));
    // Still served from its upper, and counted there.
    assertThat(TreeRefs.read(top.mount(true), "g")).isEqualTo("two");
    assertThat(top.size()).isPositive();
  }

  @Test
  void aSecondRequestReusesTheBlobAndAnotherCompressionIsAVariantMadeOnce() throws IOException {
    ImmutableRef r = built(null, t -> TreeRefs.file(t, "f", "content", 1));
    Descriptor gzip = r.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors().get(0);
    List<Digest> afterFirst = storedBlobs();

    assertThat(r.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors().get(0).digest())
        .isEqualTo(gzip.digest());
    // Not forced: the existing gzip blob is given whatever is asked for.
    assertThat(r.getRemotes(true, RefConfig.of(Compression.ZSTD), false).get(0).descriptors().get(0).digest())
        .isEqualTo(gzip.digest());
    assertThat(storedBlobs()).isEqualTo(afterFirst);

    Descriptor zstd = r.getRemotes(true, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0);
    assertThat(zstd.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
    assertThat(zstd.annotations()).containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION,
        gzip.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
    List<Digest> afterVariant = storedBlobs();
    assertThat(afterVariant).hasSize(afterFirst.size() + 1).contains(zstd.digest());

    Descriptor again = r.getRemotes(true, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0);
    assertThat(again.digest()).isEqualTo(zstd.digest());
    assertThat(storedBlobs()).isEqualTo(afterVariant);
    assertThat(r.blob()).hasValue(gzip.digest()); // the main blob stays the record's
  }

  @Test
  void aNewBlobIsCompressedAsAskedAndTheSameTreeGivesTheSameDiffId() throws IOException {
    TreeRefs.Edit edit = t -> TreeRefs.file(t, "f", "same", 1);
    ImmutableRef zstd = built(null, edit);
    ImmutableRef plain = built(null, edit);
    Descriptor z = zstd.getRemotes(true, RefConfig.of(Compression.ZSTD), false).get(0).descriptors().get(0);
    Descriptor u = plain.getRemotes(true, RefConfig.of(Compression.UNCOMPRESSED), false).get(0).descriptors().get(0);

    assertThat(z.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
    assertThat(u.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
    assertThat(u.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)).isEqualTo(u.digest().toString())
        .isEqualTo(z.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
    assertThat(zstd.chainId()).isEqualTo(plain.chainId());
    assertThat(zstd.blobChainId()).isNotEqualTo(plain.blobChainId());
  }

  @Test
  void withoutCreationAMissingBlobIsNoBlobs() throws IOException {
    ImmutableRef r = built(null, t -> TreeRefs.file(t, "f", "x", 1));
    assertThatThrownBy(() -> r.getRemotes(false, RefConfig.defaults(), false))
        .isInstanceOf(NoBlobsException.class).hasMessageContaining(r.id());
    assertThat(r.blob()).isEmpty();
    r.getRemotes(true, RefConfig.defaults(), false);
    assertThat(r.getRemotes(false, RefConfig.defaults(), false).get(0).descriptors()).hasSize(1);
  }

  @Test
  void aDiffOfUnrelatedRefsIsOneBlobWithWhiteoutsForDeletions() throws IOException {
    ImmutableRef lower = built(null, t -> {
      TreeRefs.file(t, "a", "1", 1);
      TreeRefs.file(t, "b", "2", 1);
    });
    ImmutableRef upper = built(null, t -> {
      TreeRefs.file(t, "a", "changed", 2);
      TreeRefs.file(t, "c", "3", 2);
    });
    ImmutableRef diff = keep(cm.diff(lower, upper));

    List<Descriptor> ds = diff.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors();

    assertThat(ds).hasSize(1);
    assertThat(diff.blob()).hasValue(ds.get(0).digest());
    assertThat(diff.fileList()).containsExactly(".wh.b", "a", "c");
    assertThat(diff.chainId().map(Digest::toString)).hasValue(ds.get(0).annotations()
        .get(Descriptor.UNCOMPRESSED_ANNOTATION));
  }

  @Test
  void aMergeGivesItsInputsLayersAndGetsTheFlatChainsIds() throws IOException {
    ImmutableRef a = built(null, t -> TreeRefs.file(t, "a", "1", 1));
    ImmutableRef b = built(null, t -> TreeRefs.file(t, "b", "2", 1));
    ImmutableRef merge = keep(cm.merge(List.of(a, b)));
    assertThat(merge.chainId()).isEmpty(); // not enough information without blobs

    Remote remote = merge.getRemotes(true, RefConfig.defaults(), false).get(0);

    assertThat(remote.descriptors()).extracting(Descriptor::digest)
        .containsExactly(a.blob().orElseThrow(), b.blob().orElseThrow());
    assertThat(merge.chainId()).isPresent();
    ImmutableRef flat = keep(cm.getByBlob(remote.descriptors().get(1), a));
    assertThat(flat.id()).isEqualTo(merge.id());
    assertThat(treeOf(remote)).isEqualTo(TreeRefs.walk(merge.mount(true)));
  }

  @Test
  void aLayerBuiltOnAMergeGetsItsBlobAndTheChainIdsOfTheFlatChain() throws IOException {
    ImmutableRef a = built(null, t -> TreeRefs.file(t, "a", "1", 1));
    ImmutableRef b = built(null, t -> TreeRefs.file(t, "b", "2", 1));
    ImmutableRef merge = keep(cm.merge(List.of(a, b)));
    ImmutableRef top = built(merge, t -> {
      TreeRefs.file(t, "c", "3", 2);
      t.unlink("a");
    });

    List<Descriptor> ds = top.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors();

    assertThat(ds).hasSize(3);
    assertThat(top.fileList()).containsExactly(".wh.a", "c");
    ImmutableRef flat = keep(cm.getByBlob(ds.get(2), keep(cm.getByBlob(ds.get(1), a))));
    assertThat(flat.id()).isEqualTo(top.id());
    assertThat(top.chainId()).isPresent();
  }

  @Test
  void concurrentRequestsMakeTheBlobOnce() throws Exception {
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
        new ch.qos.logback.core.read.ListAppender<>();
    log.start();
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(CacheManager.class);
    logger.addAppender(log);
    ImmutableRef r = built(null, t -> {
      for (int i = 0; i < 200; i++) {
        TreeRefs.file(t, "f" + i, "content " + i, 1);
      }
    });
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Digest>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(pool.submit(() -> r.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors().get(0)
            .digest()));
      }
      Digest first = results.get(0).get();
      for (java.util.concurrent.Future<Digest> f : results) {
        assertThat(f.get()).isEqualTo(first);
      }
    } finally {
      pool.shutdown();
      logger.detachAppender(log);
    }
    assertThat(storedBlobs()).containsExactly(r.blob().orElseThrow());
    synchronized (log) {
      assertThat(log.list).filteredOn(e -> e.getFormattedMessage().startsWith("created blob")).hasSize(1);
    }
  }

  @Test
  void aBuiltRefCanBeTheParentOfAnImportOnceItHasABlob() throws IOException {
    ImmutableRef built = built(null, t -> TreeRefs.file(t, "a", "1", 1));
    Layers.Blob layer = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    assertThatThrownBy(() -> cm.getByBlob(layer.desc(), built)).isInstanceOf(InvalidRefException.class)
        .hasMessageContaining("non-addressable");
    built.getRemotes(true, RefConfig.defaults(), false);
    ImmutableRef imported = keep(cm.getByBlob(layer.desc(), built));
    assertThat(TreeRefs.walk(imported.mount(true))).containsOnlyKeys("a", "b");
  }

  @Test
  void blobsMadeForARefAndTheirVariantsAreKeptByTheCollectorWhileTheRefLives() throws IOException {
    ImmutableRef r = built(null, t -> TreeRefs.file(t, "f", "kept", 1));
    Descriptor gzip = r.getRemotes(true, RefConfig.defaults(), false).get(0).descriptors().get(0);
    Descriptor zstd = r.getRemotes(true, RefConfig.forced(Compression.ZSTD), false).get(0).descriptors().get(0);

    cm.collectGarbage(Duration.ZERO);

    assertThat(storedBlobs()).contains(gzip.digest(), zstd.digest());
    ContentInfo info = cm.contentStore().info(zstd.digest()).orElseThrow();
    assertThat(info.labels()).containsEntry(BlobVariants.LINK_PREFIX + gzip.digest(), gzip.digest().toString());
    assertThat(Files.exists(cm.contentStore().blobPath(gzip.digest()))).isTrue();
  }
}
