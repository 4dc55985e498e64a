package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.refcache.core.digest.Digest;
import org.refcache.posix.Xattrs;

/**
 * The check an import runs refuses exactly the layers the unpacker refuses, with the same reason,
 * and every refusal says where in the layer it is (the entry, how far the data went).
 */
class LayerValidatorTest {
  @TempDir
  Path tmp;
  Path layers;
  Path target;

  @BeforeEach
  void setUp() throws IOException {
    layers = Files.createDirectory(tmp.resolve("layers"));
    target = layers.resolve("layer");
  }

  private static UnpackResult validate(byte[] blob, String mediaType) throws IOException {
    return LayerValidator.validate(new ByteArrayInputStream(blob),
        new LayerBlob("test", mediaType, blob.length), LayerLimits.DEFAULTS, Digest.SHA256);
  }

  private UnpackResult unpack(byte[] blob, String mediaType) throws IOException {
    return new LayerUnpacker(false).unpack(new ByteArrayInputStream(blob), mediaType, target,
        null);
  }

  /** Layers the unpacker refuses for what they are, beyond the hostile ones. */
  static Stream<Arguments> malformedTarballs() {
    String longComponent = "n".repeat(256);
    return Stream.of(
        Arguments.of("hard link to a missing file", "\"link\"",
            new TarBuilder().file("a", "a").hardLink("link", "nowhere").build()),
        Arguments.of("hard link to a directory", "hard link to the directory",
            new TarBuilder().dir("d").hardLink("link", "d").build()),
        Arguments.of("unsupported entry type", "unsupported tar entry type 'V'",
            new TarBuilder().entry("volume", (byte) 'V').build()),
        Arguments.of("file as a parent", "its parent \"f\" is not a directory",
            new TarBuilder().file("f", "f").file("f/child", "c").build()),
        Arguments.of("LIBARCHIVE xattr that is not base64", "is not base64",
            new TarBuilder().pax("LIBARCHIVE.xattr.user.x", "%%%").file("f", "f").build()),
        Arguments.of("uid out of range", "uid 4294967295 is out of range",
            new TarBuilder().pax("uid", "4294967295").file("f", "f").build()),
        Arguments.of("name component over NAME_MAX", "component of 256 bytes",
            new TarBuilder().file("dir/" + longComponent, "x").build()),
        Arguments.of("NUL in a PAX name", "has a NUL byte",
            new TarBuilder().pax("path", "a\u0000b").file("placeholder", "x").build()),
        Arguments.of("empty symlink target", "a symlink target cannot be empty",
            new TarBuilder().symlink("link", "").build()),
        Arguments.of("symlink target over PATH_MAX", "bytes is longer than Linux allows",
            new TarBuilder().symlink("link", "t/".repeat(2100)).build()),
        Arguments.of("xattr value over 64 KiB", "larger than Linux allows",
            new TarBuilder().xattr("user.big", new byte[65537]).file("f", "f").build()),
        Arguments.of("PAX record that is not one", "malformed tar",
            paxBodyThatIsNotRecords()));
  }

  /** A PAX header whose body is not {@code "<len> <key>=<value>\n"} records. */
  private static byte[] paxBodyThatIsNotRecords() {
    byte[] tar = new TarBuilder().pax("comment", "abc").file("f", "f").build();
    // The first block is the PAX header; its body (the record "16 comment=abc\n") follows.
    byte[] broken = tar.clone();
    byte[] junk = "zz nonsense=\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(junk, 0, broken, 512, junk.length);
    return broken;
  }

  static Stream<Arguments> refusedTarballs() {
    return Stream.concat(
        LayerUnpackerTest.hostileTarballs().map(a -> Arguments.of(a.get()[0],
            "\"" + a.get()[1] + "\"", a.get()[2])),
        malformedTarballs());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedTarballs")
  void theCheckRefusesWhatTheUnpackRefusesWithTheSameReason(String why, String reason,
      byte[] tar) {
    Throwable unpacked = catchFailure(() -> unpack(tar, MediaTypes.OCI_LAYER));
    Throwable checked = catchFailure(() -> validate(tar, MediaTypes.OCI_LAYER));

    assertThat(unpacked).as("unpack").isNotNull().hasMessageContaining(reason);
    assertThat(checked).as("check").isNotNull().hasSameClassAs(unpacked)
        .hasMessage(unpacked.getMessage());
    assertThat(checked).isInstanceOfAny(LayerFormatException.class,
        UnsafeLayerEntryException.class);
    assertThat(target).doesNotExist();
  }

  @Test
  void theCheckAcceptsWhatTheUnpackAcceptsAndReadsTheSame() throws IOException {
    byte[] tar = LayerUnpackerTest.everyKind();
    byte[] gzip = TarBuilder.compress(tar, Compression.GZIP);

    UnpackResult checked = validate(gzip, MediaTypes.OCI_LAYER_GZIP);
    UnpackResult unpacked = unpack(gzip, MediaTypes.OCI_LAYER_GZIP);

    assertThat(checked).isEqualTo(unpacked);
    assertThat(checked.diffId()).isEqualTo(Digest.sha256(tar));
    assertThat(checked.uncompressedSize()).isEqualTo(tar.length);
  }

  @Test
  void anXattrOutsideLinuxsNamespacesIsDroppedNotFatal() throws IOException {
    byte[] tar = new TarBuilder().xattr("com.apple.quarantine", "q".getBytes())
        .xattr("user.kept", "k".getBytes()).file("f", "f").build();

    validate(tar, MediaTypes.OCI_LAYER);
    unpack(tar, MediaTypes.OCI_LAYER);

    assertThat(org.refcache.posix.Xattrs.lgetxattr(target.resolve("f"), "user.kept")).isPresent();
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void aTruncatedCompressedLayerSaysSoWithTheBytesReadAndTheEntry(Compression compression) {
    byte[] random = new byte[400_000];
    new java.util.Random(9).nextBytes(random); // incompressible: half the blob is half the tar
    byte[] tar = new TarBuilder().file("first", "1").file("big", random).file("after", "x")
        .build();
    byte[] blob = TarBuilder.compress(tar, compression);
    byte[] truncated = Arrays.copyOf(blob, blob.length / 2);
    String name = compression.name().toLowerCase(java.util.Locale.ROOT);

    for (Throwable failure : new Throwable[] {
        catchFailure(() -> unpack(truncated, compression.ociMediaType())),
        catchFailure(() -> validate(truncated, compression.ociMediaType()))}) {
      assertThat(failure).isInstanceOf(TruncatedLayerException.class)
          .hasMessage("truncated: the " + name + " stream ends early, after " + truncated.length
              + " bytes in entry \"big\"");
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void aTruncatedPlainTarSaysWhereItEnds() {
    byte[] tar = new TarBuilder().file("big", new byte[20_000]).file("after", "x").build();
    byte[] inContent = Arrays.copyOf(tar, 10_000);
    byte[] inHeader = Arrays.copyOf(tar, 512 + 20_480 + 100); // 100 bytes into "after"'s header

    assertThat(catchFailure(() -> unpack(inContent, MediaTypes.OCI_LAYER)))
        .isInstanceOf(TruncatedLayerException.class)
        .hasMessage("truncated: the tar ends early, after 10000 uncompressed bytes in entry"
            + " \"big\"");
    assertThat(catchFailure(() -> validate(inHeader, MediaTypes.OCI_LAYER)))
        .isInstanceOf(TruncatedLayerException.class)
        .hasMessage("truncated: the tar ends inside a header block, after " + inHeader.length
            + " bytes in the headers after entry \"big\"");
  }

  @Test
  void corruptCompressedDataIsAFormatErrorThatSaysWhere() {
    byte[] tar = new TarBuilder().file("big", new byte[200_000]).build();
    byte[] gzip = TarBuilder.compress(tar, Compression.GZIP);
    byte[] corrupt = gzip.clone();
    corrupt[corrupt.length - 5] ^= 0x55; // in the CRC32 of the trailer

    assertThat(catchFailure(() -> validate(corrupt, MediaTypes.OCI_LAYER_GZIP)))
        .isInstanceOf(LayerFormatException.class)
        .hasMessageStartingWith("corrupt gzip data after " + corrupt.length + " bytes")
        .hasMessageContaining("CRC32");
  }

  @Test
  void somethingThatIsNotATarIsNotALayerTar() {
    byte[] text = "hello ".repeat(200).getBytes(StandardCharsets.US_ASCII);

    assertThat(catchFailure(() -> validate(text, MediaTypes.OCI_LAYER)))
        .isInstanceOf(LayerFormatException.class)
        .hasMessage("not a layer tar: its first 512 bytes are not a tar header (wrong checksum)");
    assertThat(catchFailure(() -> unpack(TarBuilder.compress(text, Compression.GZIP),
        MediaTypes.OCI_LAYER_GZIP))).hasMessageStartingWith("not a layer tar");
  }

  @Test
  void readingTheBlobFailingIsNotTheLayersFault() {
    byte[] tar = new TarBuilder().file("big", new byte[300_000]).build();
    IOException diskError = new IOException("Input/output error");
    ByteArrayInputStream failing = new ByteArrayInputStream(tar) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        if (pos > 100_000) {
          throw new java.io.UncheckedIOException(diskError);
        }
        return super.read(b, off, Math.min(len, 4096));
      }
    };
    java.io.InputStream blob = new java.io.FilterInputStream(failing) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (java.io.UncheckedIOException e) {
          throw e.getCause();
        }
      }
    };

    assertThatThrownBy(() -> LayerValidator.validate(blob,
        new LayerBlob("t", MediaTypes.OCI_LAYER, tar.length), LayerLimits.DEFAULTS, null))
        .isSameAs(diskError);
  }

  private static Throwable catchFailure(ThrowingRun run) {
    try {
      run.run();
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  @FunctionalInterface
  interface ThrowingRun {
    void run() throws Exception;
  }
}
