package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

/** Compression variants of stored layers: same tar, same diffID, another blob. */
class LayerConverterTest extends LayerWriterFixture {

  @Test
  void aVariantHoldsTheSameTarUnderTheSameDiffId() throws IOException {
    Path upper = new LayerWriterTest().everyKind(tmp.resolve("upper")).root();
    LayerWriter.WrittenLayer gzip = writer.write(LayerChanges.ofUpper(upper), Compression.GZIP);

    LayerWriter.WrittenLayer zstd = new LayerConverter(store).convert(gzip.blob(),
        gzip.mediaType(), gzip.diffId(), Compression.ZSTD, Compression.DEFAULT_LEVEL);

    assertThat(zstd.blob()).isNotEqualTo(gzip.blob());
    assertThat(zstd.diffId()).isEqualTo(gzip.diffId());
    assertThat(zstd.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
    assertThat(tarOf(zstd)).isEqualTo(tarOf(gzip));
    assertThat(blobBytes(zstd.blob())).hasSize((int) zstd.size());
    assertThat(store.info(zstd.blob()).orElseThrow().labels())
        .containsEntry(LayerWriter.UNCOMPRESSED_LABEL, gzip.diffId().toString());
    // However the tar reaches the compressor, the same tar is the same blob.
    assertThat(writer.write(LayerChanges.ofUpper(upper), Compression.ZSTD).blob())
        .isEqualTo(zstd.blob());
    assertThat(new LayerConverter(store).convert(zstd.blob(), zstd.mediaType(), null,
        Compression.GZIP, Compression.DEFAULT_LEVEL).blob()).isEqualTo(gzip.blob());
  }

  @Test
  void aBlobWhoseTarIsNotTheDiffIdGivenIsNotConverted() throws IOException {
    Path upper = new SourceTree(tmp.resolve("upper")).file("a", "a").root();
    LayerWriter.WrittenLayer plain =
        writer.write(LayerChanges.ofUpper(upper), Compression.UNCOMPRESSED);
    Digest wrong = Digest.sha256(new byte[] {1});

    assertThatThrownBy(() -> new LayerConverter(store).convert(plain.blob(), plain.mediaType(),
        wrong, Compression.GZIP, 1)).isInstanceOf(DiffIdMismatchException.class);
    assertThat(ingestLeftovers()).isEmpty();
  }
}
