package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {

  static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  @Test
  void sniffRecognisesGzipZstdAndEverythingElseAsUncompressed() {
    assertThat(Compression.sniff(bytes(0x1f, 0x8b, 0x08, 0x00), 4)).isEqualTo(Compression.GZIP);
    assertThat(Compression.sniff(bytes(0x28, 0xb5, 0x2f, 0xfd), 4)).isEqualTo(Compression.ZSTD);
    assertThat(Compression.sniff(bytes(0x5e, 0x2a, 0x4d, 0x18), 4))
        .as("zstd skippable frame").isEqualTo(Compression.ZSTD);
    assertThat(Compression.sniff(bytes('e', 't', 'c', '/'), 4)).isEqualTo(Compression.UNCOMPRESSED);
    assertThat(Compression.sniff(bytes(0x28, 0xb5, 0x2f, 0xfd), 3))
        .as("only len bytes count").isEqualTo(Compression.UNCOMPRESSED);
    assertThat(Compression.sniff(new byte[0], 0)).isEqualTo(Compression.UNCOMPRESSED);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void compressThenDecompressGivesTheBytesBack(Compression compression) throws IOException {
    byte[] data = new byte[300_000];
    new Random(7).nextBytes(data);

    byte[] compressed = TarBuilder.compress(data, compression);

    assertThat(Compression.sniff(compressed, compressed.length)).isEqualTo(compression);
    try (InputStream in = compression.decompress(new ByteArrayInputStream(compressed))) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
  }

  @Test
  void concatenatedGzipMembersAreOneStream() throws IOException {
    byte[] a = TarBuilder.compress(bytes('a', 'b'), Compression.GZIP);
    byte[] b = TarBuilder.compress(bytes('c'), Compression.GZIP);
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);

    try (InputStream in = Compression.GZIP.decompress(new ByteArrayInputStream(both))) {
      assertThat(in.readAllBytes()).isEqualTo(bytes('a', 'b', 'c'));
    }
  }

  @Test
  void truncatedGzipIsAnErrorNotAShortStream() throws IOException {
    byte[] data = new byte[100_000];
    new Random(3).nextBytes(data);
    byte[] gz = TarBuilder.compress(data, Compression.GZIP);
    byte[] cut = java.util.Arrays.copyOf(gz, gz.length - 4);

    try (InputStream in = Compression.GZIP.decompress(new ByteArrayInputStream(cut))) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class);
    }
  }

  /**
   * Found by LayerUnpackerFuzzTest (input truncated.tar.gz): the decompressor's EOFException had no
   * message, so a client was told only "java.io.EOFException".
   */
  @Test
  void truncatedGzipSaysTheBlobIsTruncated() throws IOException {
    byte[] gz = TarBuilder.compress(new TarBuilder().file("a", "x".repeat(5000)).build(),
        Compression.GZIP);
    byte[] cut = java.util.Arrays.copyOf(gz, 60);

    try (InputStream in = Compression.GZIP.decompress(new ByteArrayInputStream(cut))) {
      assertThatThrownBy(in::readAllBytes).isInstanceOf(LayerFormatException.class)
          .hasMessage("the gzip stream ends early: the blob is truncated");
    }
  }

  /**
   * Found by LayerUnpackerFuzzTest (input crash-gzip-extra-field-past-the-end): commons-compress
   * reads the gzip header as the stream opens, and a header cut short threw a bare EOFException.
   */
  @Test
  void gzipWhoseHeaderIsCutSaysTheBlobIsTruncated() {
    // FEXTRA set, an extra field of 16 bytes, 2 of them present.
    byte[] header = {0x1f, (byte) 0x8b, 8, 4, 0, 0, 0, 0, 0, (byte) 0xff, 16, 0, 1, 2};

    assertThatThrownBy(() -> Compression.GZIP.decompress(new ByteArrayInputStream(header)))
        .isInstanceOf(LayerFormatException.class)
        .hasMessage("the gzip stream ends early: the blob is truncated");
  }

  @Test
  void mediaTypesDeclareTheirCompression() {
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER)).isEqualTo(Compression.UNCOMPRESSED);
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER_GZIP)).isEqualTo(Compression.GZIP);
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER_ZSTD)).isEqualTo(Compression.ZSTD);
    assertThat(MediaTypes.compressionOf(MediaTypes.DOCKER_LAYER))
        .isEqualTo(Compression.UNCOMPRESSED);
    assertThat(MediaTypes.compressionOf(MediaTypes.DOCKER_LAYER_GZIP)).isEqualTo(Compression.GZIP);
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER_NONDISTRIBUTABLE_GZIP))
        .isEqualTo(Compression.GZIP);
    assertThat(MediaTypes.compressionOf(MediaTypes.DOCKER_FOREIGN_LAYER_GZIP))
        .isEqualTo(Compression.GZIP);
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER_GZIP + "; charset=binary"))
        .isEqualTo(Compression.GZIP);
    assertThat(MediaTypes.isLayer("application/vnd.oci.image.manifest.v1+json")).isFalse();
    assertThatThrownBy(() -> MediaTypes.compressionOf("text/plain"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text/plain");
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void ociMediaTypeRoundTrips(Compression compression) {
    assertThat(MediaTypes.compressionOf(compression.ociMediaType())).isEqualTo(compression);
  }
}
