package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;

/**
 * Every {@link LayerLimits} refuses a layer over it, in the unpacker (leaving nothing) and in the
 * check an import runs ({@link LayerValidator}), having read only as far as the limit.
 */
class LayerLimitsTest {
  @TempDir
  Path tmp;
  Path layers;
  Path target;

  @BeforeEach
  void setUp() throws IOException {
    layers = Files.createDirectory(tmp.resolve("layers"));
    target = layers.resolve("layer");
  }

  /** Counts what the reader took from the blob. */
  static final class CountingStream extends FilterInputStream {
    long read;

    CountingStream(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      read += b >= 0 ? 1 : 0;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      read += Math.max(n, 0);
      return n;
    }
  }

  /**
   * A gzip bomb: concatenated gzip members, a header for a file of {@code mib} MiB of zeros, that
   * many members of one MiB of zeros each (about 1 KiB apiece), then {@code tail} (a tar whose
   * first entry follows the zeros).
   */
  static byte[] gzipBomb(int mib, byte[] tail) {
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    TarArchiveEntry zeros = new TarArchiveEntry("zeros");
    zeros.setSize((long) mib << 20);
    byte[] header = new byte[512];
    zeros.writeEntryHeader(header);
    bomb.writeBytes(TarBuilder.compress(header, Compression.GZIP));
    byte[] mebibyte = TarBuilder.compress(new byte[1 << 20], Compression.GZIP);
    for (int i = 0; i < mib; i++) {
      bomb.writeBytes(mebibyte);
    }
    bomb.writeBytes(TarBuilder.compress(tail, Compression.GZIP));
    return bomb.toByteArray();
  }

  private UnpackResult validate(byte[] blob, String mediaType, LayerLimits limits)
      throws IOException {
    return LayerValidator.validate(new ByteArrayInputStream(blob),
        new LayerBlob("test-layer", mediaType, blob.length), limits, Digest.SHA256);
  }

  private UnpackResult unpack(byte[] blob, String mediaType, LayerLimits limits)
      throws IOException {
    return new LayerUnpacker(false, limits).unpack(new ByteArrayInputStream(blob),
        new LayerBlob("test-layer", mediaType, blob.length), target, null);
  }

  /** Both the check and the unpack refuse {@code blob} over the limit named {@code setting}. */
  private void assertRefusedByBoth(byte[] blob, String mediaType, LayerLimits limits,
      String setting, String messagePart) {
    assertThatThrownBy(() -> validate(blob, mediaType, limits))
        .isInstanceOfSatisfying(LayerLimitException.class,
            e -> assertThat(e.setting()).isEqualTo(setting))
        .hasMessageContaining(messagePart);
    assertThatThrownBy(() -> unpack(blob, mediaType, limits))
        .isInstanceOfSatisfying(LayerLimitException.class,
            e -> assertThat(e.setting()).isEqualTo(setting))
        .hasMessageContaining(messagePart);
    assertNothingLeft();
  }

  @Test
  void aGzipBombIsRefusedAfterReadingOnlyWhatItsRatioAllows() throws IOException {
    byte[] tail = new TarBuilder().file("../evil", "x").build();
    byte[] bomb = gzipBomb(1024, tail); // 1 GiB of zeros from about 1 MiB
    LayerLimits limits = LayerLimits.DEFAULTS;
    long allowed = limits.uncompressedAllowance(bomb.length);
    assertThat(allowed).as("what 100 times the blob allows").isLessThan(200L << 20);

    for (boolean unpacking : new boolean[] {false, true}) {
      CountingStream in = new CountingStream(bomb);
      LayerBlob blob = new LayerBlob("bomb.tar.gz", MediaTypes.OCI_LAYER_GZIP, bomb.length);
      assertThatThrownBy(() -> {
        if (unpacking) {
          new LayerUnpacker(false, limits).unpack(in, blob, target, null);
        } else {
          LayerValidator.validate(in, blob, limits, Digest.SHA256);
        }
      }).isInstanceOfSatisfying(LayerLimitException.class,
              e -> assertThat(e.setting()).isEqualTo(LayerLimits.RATIO_SETTING))
          .hasMessageContaining("expands more than 100 times");
      // The zeros that the ratio allows take about a fifth of the blob; the rest stays unread.
      assertThat(in.read).as("compressed bytes read, unpacking %s", unpacking)
          .isLessThan(bomb.length / 4);
      assertNothingLeft();
    }
  }

  @Test
  void aFileLargerThanTheSizeLimitIsRefusedByItsHeaderBeforeItsContentIsRead() {
    byte[] tar = new TarBuilder().file("small", "1").file("a", new byte[2 << 20]).build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxSize(1 << 20);

    assertRefusedByBoth(tar, MediaTypes.OCI_LAYER, limits, LayerLimits.SIZE_SETTING,
        "entry \"a\": the layer's files would add up to more than 1 MiB (max-layer-size),"
            + " this one has 2 MiB; entry \"small\" was the last that fit");
  }

  @Test
  void aTarStreamLargerThanTheSizeLimitIsRefusedWhateverItsFilesHold() {
    TarBuilder many = new TarBuilder();
    for (int i = 0; i < 200; i++) {
      many.file("f" + i, "x"); // 1 KiB of tar each, header and padding
    }
    byte[] tar = many.build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxSize(64 << 10);

    assertRefusedByBoth(tar, MediaTypes.OCI_LAYER, limits, LayerLimits.SIZE_SETTING,
        "the uncompressed layer is larger than 64 KiB (max-layer-size)");
  }

  @Test
  void theRatioIsMeasuredAgainstTheBlobsSizeAndOnlyPastTheFloor() throws IOException {
    byte[] tar = new TarBuilder().file("zeros", new byte[4 << 20]).build();
    byte[] gzip = TarBuilder.compress(tar, Compression.GZIP);
    LayerLimits strict = LayerLimits.DEFAULTS.withMaxRatio(10).withRatioFloor(0);

    assertRefusedByBoth(gzip, MediaTypes.OCI_LAYER_GZIP, strict, LayerLimits.RATIO_SETTING,
        "expands more than 10 times (max-layer-ratio)");
    // Below the floor any ratio passes; of a blob of unknown size only the size counts.
    assertThat(validate(gzip, MediaTypes.OCI_LAYER_GZIP, strict.withRatioFloor(8 << 20))
        .uncompressedSize()).isEqualTo(tar.length);
    assertThat(LayerValidator.validate(new ByteArrayInputStream(gzip),
        new LayerBlob("unknown size", MediaTypes.OCI_LAYER_GZIP, -1), strict, null)
        .uncompressedSize()).isEqualTo(tar.length);
  }

  @Test
  void moreEntriesThanTheLimitAreRefusedNamingTheFirstOneOver() throws IOException {
    byte[] three = new TarBuilder().dir("a").file("a/b", "b").file("c", "c").build();
    byte[] four = new TarBuilder().dir("a").file("a/b", "b").file("c", "c").file("d", "d")
        .build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxEntries(3);

    assertThat(validate(three, MediaTypes.OCI_LAYER, limits).entries()).isEqualTo(3);
    assertRefusedByBoth(four, MediaTypes.OCI_LAYER, limits, LayerLimits.ENTRIES_SETTING,
        "more than 3 entries (max-layer-entries), at entry \"d\"");
  }

  @Test
  void aPaxHeaderLargerThanTheLimitIsRefusedBeforeItIsRead() {
    byte[] tar = new TarBuilder().pax("comment", "x".repeat(4 << 20)).file("a", "a").build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxHeaderSize(64 << 10);

    assertRefusedByBoth(tar, MediaTypes.OCI_LAYER, limits, LayerLimits.HEADER_SETTING,
        "the tar headers of the first entry are larger than 64 KiB (max-tar-header)");
    CountingStream in = new CountingStream(tar);
    assertThatThrownBy(() -> LayerValidator.validate(in,
        new LayerBlob("pax", MediaTypes.OCI_LAYER, tar.length), limits, null))
        .isInstanceOf(LayerLimitException.class);
    assertThat(in.read).as("bytes read of a 4 MiB header").isLessThan(1 << 20);
  }

  @Test
  void aGnuLongNameLargerThanTheLimitIsRefusedNamingTheEntryBefore() {
    String longName = "d/".repeat(3000) + "file";
    byte[] tar = new TarBuilder().file("first", "1").gnuLongNames().file(longName, "x").build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxHeaderSize(4096);

    assertRefusedByBoth(tar, MediaTypes.OCI_LAYER, limits, LayerLimits.HEADER_SETTING,
        "the tar headers after entry \"first\" are larger than 4 KiB"
            + " (max-tar-header)");
  }

  @Test
  void aSparseFileCountsAtItsFullSize() {
    // A PAX 0.1 sparse file: one byte stored at the end of 16 MiB of hole.
    long size = 16L << 20;
    byte[] tar = new TarBuilder().pax("GNU.sparse.size", Long.toString(size))
        .pax("GNU.sparse.map", (size - 1) + ",1").file("sparse", "x").build();
    LayerLimits limits = LayerLimits.DEFAULTS.withMaxSize(1 << 20);

    assertRefusedByBoth(tar, MediaTypes.OCI_LAYER, limits, LayerLimits.SIZE_SETTING,
        "entry \"sparse\": the layer's files would add up to more than 1 MiB");
  }

  @Test
  void manyExtendedHeadersInARowAreRefusedNotRecursedInto() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      byte[] record = TarBuilder.paxRecord("comment", "x".getBytes());
      for (int i = 0; i < 40; i++) {
        TarArchiveEntry pax = new TarArchiveEntry("PaxHeaders/" + i,
            TarConstants.LF_PAX_EXTENDED_HEADER_LC);
        pax.setSize(record.length);
        out.putArchiveEntry(pax);
        out.write(record);
        out.closeArchiveEntry();
      }
      TarArchiveEntry file = new TarArchiveEntry("file");
      out.putArchiveEntry(file);
      out.closeArchiveEntry();
    }
    byte[] tar = bytes.toByteArray();

    for (ThrowingRun run : Stream.<ThrowingRun>of(
        () -> validate(tar, MediaTypes.OCI_LAYER, LayerLimits.DEFAULTS),
        () -> unpack(tar, MediaTypes.OCI_LAYER, LayerLimits.DEFAULTS)).toList()) {
      assertThatThrownBy(run::run).isInstanceOf(LayerFormatException.class)
          .hasMessageContaining("more than 16 extended headers in a row");
    }
    assertNothingLeft();
  }

  @Test
  void limitsMustBeUsable() {
    assertThatThrownBy(() -> LayerLimits.DEFAULTS.withMaxSize(0))
        .hasMessageContaining("max-layer-size must be positive");
    assertThatThrownBy(() -> LayerLimits.DEFAULTS.withMaxHeaderSize(100))
        .hasMessageContaining("at least 512");
    assertThat(LayerLimits.bytes(64L << 30)).isEqualTo("64 GiB");
    assertThat(LayerLimits.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(LayerLimits.DEFAULTS.uncompressedAllowance(1L << 62))
        .isEqualTo(LayerLimits.DEFAULTS.maxSize());
  }

  @FunctionalInterface
  interface ThrowingRun {
    void run() throws Exception;
  }

  void assertNothingLeft() {
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(layers)) {
      assertThat(s).as("work directories left in %s", layers).isEmpty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
