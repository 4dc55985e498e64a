package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;
import org.slf4j.LoggerFactory;
import org.refcache.testing.CacheFixture;

/**
 * Spec section 7 cases 47-52 (remotes and compression). They are about {@code GetRemotes}, blob
 * creation and compression variants, which this branch does not have: blobs out (spec 6.4) is
 * issue 11 item 4, built in another branch. What exists here is covered: every compression of a
 * layer keeps its uncompressed digest and unpacks to the same layer, a non-distributable layer keeps
 * its media type and URLs. The rest is disabled, each saying what it waits for. estargz is not
 * supported: uncompressed, gzip and zstd stand in for it.
 */
class RemotesConformanceTest extends CacheFixture {
  private static final String WAITS_FOR_BLOBS_OUT =
      "needs ImmutableRef.getRemotes and compression variants (spec 6.4, 6.7: issue 11 item 4, another branch)";

  UnpackLog log;

  @BeforeEach
  void listen() {
    log = UnpackLog.start();
  }

  @AfterEach
  void stopListening() {
    log.close();
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
    keep(r);
    return r;
  }

  /**
   * Of case 47, what exists: the blob of each compression is recorded with its media type and the
   * {@code containerd.io/uncompressed} annotation of the tar's digest, the one diffID of all of them.
   * {@code GetRemotes(Force, T)} itself waits for blobs out.
   */
  @Test
  void case47_everyCompressionOfALayerCarriesTheUncompressedDigest() throws IOException {
    byte[] tar = Layers.tar(Layers.files("f", "content"));
    Digest diffId = Digest.sha256(tar);
    for (Compression c : Compression.values()) {
      ImmutableRef r = ref(stored(tar, c, c.ociMediaType()));
      Descriptor d = ((ImmutableHandle) r).rec.descriptor();
      assertThat(d.mediaType()).as(c.name()).isEqualTo(c.ociMediaType());
      assertThat(d.annotations()).as(c.name()).containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION, diffId.toString());
      assertThat(r.diffId()).as(c.name()).hasValue(diffId);
    }
  }

  @Test
  @Disabled(WAITS_FOR_BLOBS_OUT)
  void case48_getRemotesAllGivesEveryVariantCombination() {
  }

  /**
   * Of case 49, what exists: a non-distributable layer keeps its media type and URLs in its record
   * (what {@code PreferNonDistributable:true} then exports); the conversion for {@code false} waits
   * for blobs out.
   */
  @Test
  void case49_aNonDistributableLayerKeepsItsMediaTypeAndUrls() throws IOException {
    byte[] tar = Layers.tar(Layers.files("f", "foreign"));
    Layers.Blob b = stored(tar, Compression.GZIP, MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP);
    Descriptor withUrls = new Descriptor(b.desc().mediaType(), b.digest(), b.desc().size(), b.desc().annotations(),
        List.of("https://example.com/layer.tar.gz"));
    ImmutableRef r = cm.getByBlob(withUrls, null);
    keep(r);
    Descriptor d = ((ImmutableHandle) r).rec.descriptor();
    assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP);
    assertThat(d.urls()).containsExactly("https://example.com/layer.tar.gz");
    assertThat(TreeRefs.read(r.mount(true), "f")).isEqualTo("foreign");
  }

  @Test
  @Disabled(WAITS_FOR_BLOBS_OUT)
  void case50_compressionVariantsAreSharedBetweenRefsAndOutliveTheirMaker() {
  }

  /**
   * Of case 51, what exists: uncompressed, gzip and zstd blobs of one tar (estargz is not supported)
   * keep its diffID and unpack to one layer, once: the second and third refs find it unpacked.
   * Converting between them waits for blobs out.
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
    assertThat(log.unpacks(diffId)).isEqualTo(1);
  }

  @Test
  @Disabled("needs compression variants and the garbage collector (spec 6.7, 3.4): issue 11 item 4 and the prune"
      + " work, other branches")
  void case52_variantLinkCyclesAreCollectedOnceEveryRefIsPruned() {
  }
}
