package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.LmdbEnvironment;

/** The one-pass ingest of layer blobs into a real content store (LMDB and files). */
class LayerImporterTest {
  private static final String NAME = "/imports/layer.tar";

  @TempDir
  Path root;
  private LmdbEnvironment env;
  private ContentStore content;
  private LayerImporter importer;

  @BeforeEach
  void open() throws IOException {
    env = LmdbEnvironment.open(root.resolve("meta"), List.of(ContentStore.DATABASE));
    content = ContentStore.open(root.resolve("content"), env);
    importer = new LayerImporter(content, LayerLimits.DEFAULTS);
  }

  @AfterEach
  void close() {
    env.close();
  }

  private LayerImporter.Imported ingest(LayerImporter with, byte[] blob) throws IOException {
    return with.ingest(new ByteArrayInputStream(blob), blob.length, NAME, (b, t) -> { });
  }

  private LayerImporter.Imported ingest(byte[] blob) throws IOException {
    return ingest(importer, blob);
  }

  /** A directory, a file in it, a symlink and a hard link. */
  private static byte[] everyKind() {
    return new TarBuilder().dir("etc/").file("etc/hosts", "127.0.0.1 localhost\n")
        .symlink("etc/link", "hosts").hardLink("etc/hard", "etc/hosts").build();
  }

  @Test
  void blobDigestIsTheStreamsAndDiffIdIsTheUncompressedTarsForEveryCompression() throws IOException {
    byte[] tar = everyKind();
    for (Compression c : Compression.values()) {
      byte[] blob = TarBuilder.compress(tar, c);

      LayerImporter.Imported got = ingest(blob);

      assertThat(got.blob()).as(c.name()).isEqualTo(Digest.sha256(blob));
      assertThat(got.diffId()).as(c.name()).isEqualTo(Digest.sha256(tar));
      assertThat(got.size()).isEqualTo(blob.length);
      assertThat(got.mediaType()).isEqualTo(c.ociMediaType());
      assertThat(Files.readAllBytes(content.blobPath(got.blob()))).isEqualTo(blob);
      assertThat(content.info(got.blob()).orElseThrow().labels())
          .containsEntry(Descriptor.UNCOMPRESSED_ANNOTATION, Digest.sha256(tar).toString());
    }
    assertThat(Compression.GZIP.ociMediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
  }

  /**
   * The blob and its diffID label are recorded in one LMDB write, whatever the compression: an
   * uncompressed layer's diffID is its blob digest, which the content writer gives before its commit.
   */
  @Test
  void everyImportRecordsItsBlobAndDiffIdInOneLmdbWriteTransaction() throws IOException {
    for (Compression c : Compression.values()) {
      byte[] blob = TarBuilder.compress(new TarBuilder().file("only-" + c, c.name()).build(), c);
      long before = env.lastTransactionId();

      ingest(blob);

      assertThat(env.lastTransactionId() - before).as(c + ": LMDB write transactions").isEqualTo(1);
    }
  }

  @Test
  void importingTheSameBytesTwiceGivesTheSameBlob() throws IOException {
    byte[] blob = TarBuilder.compress(new TarBuilder().file("a", "a").build(), Compression.GZIP);
    assertThat(ingest(blob)).isEqualTo(ingest(blob));
  }

  @Test
  void progressEndsWithTheWholeBlob() throws IOException {
    byte[] blob = everyKind();
    List<long[]> updates = new ArrayList<>();

    importer.ingest(new ByteArrayInputStream(blob), blob.length, NAME, (b, t) -> updates.add(new long[] {b, t}));

    assertThat(updates).isNotEmpty();
    assertThat(updates.get(updates.size() - 1)).containsExactly(blob.length, blob.length);
  }

  @Test
  void aBlobOfUnknownSizeIsStoredWithTheSizeRead() throws IOException {
    byte[] blob = TarBuilder.compress(everyKind(), Compression.ZSTD);

    LayerImporter.Imported got = importer.ingest(new ByteArrayInputStream(blob), -1, NAME, (b, t) -> { });

    assertThat(got.size()).isEqualTo(blob.length);
    assertThat(got.blob()).isEqualTo(Digest.sha256(blob));
  }

  @Test
  void bytesThatAreNotLayerTarsAreRefusedAndNothingIsStored() throws IOException {
    byte[] text = "hello ".repeat(200).getBytes(StandardCharsets.UTF_8);
    byte[] tiny = TarBuilder.compress("short".getBytes(StandardCharsets.UTF_8), Compression.GZIP);
    byte[] gz = TarBuilder.compress(everyKind(), Compression.GZIP);
    byte[] truncated = Arrays.copyOf(gz, gz.length / 2);

    assertThatThrownBy(() -> ingest(text)).isInstanceOf(RefusedLayerException.class)
        .hasMessageContaining("not a layer tar");
    assertThatThrownBy(() -> ingest(tiny)).isInstanceOf(RefusedLayerException.class)
        .hasMessage("layer " + NAME + " refused: not a layer tar: only 5 bytes, less than one tar header");
    assertThatThrownBy(() -> ingest(truncated)).isInstanceOf(RefusedLayerException.class)
        .hasMessageStartingWith("layer " + NAME + " refused: truncated: the gzip stream ends early, after "
            + truncated.length + " bytes");
    assertNothingStored();
  }

  @Test
  void aFailedReadNamesTheLayerAndNothingIsStored() throws IOException {
    byte[] blob = everyKind();
    InputStream failing = new InputStream() {
      private int next;

      @Override
      public int read() throws IOException {
        if (next == 1024) {
          throw new IOException("Input/output error");
        }
        return blob[next++] & 0xff;
      }
    };

    assertThatThrownBy(() -> importer.ingest(failing, blob.length, NAME, (b, t) -> { }))
        .isInstanceOf(IOException.class).hasMessage("cannot read " + NAME + ": Input/output error");
    assertNothingStored();
  }

  private void assertNothingStored() throws IOException {
    List<Digest> stored = new ArrayList<>();
    content.walk(i -> stored.add(i.digest()));
    assertThat(stored).as("blobs").isEmpty();
    try (Stream<Path> ingests = Files.walk(root.resolve("content/ingest"))) {
      assertThat(ingests.filter(Files::isRegularFile)).as("ingest files").isEmpty();
    }
  }

  /** A tar of empty-content regular files named exactly as given, of the given sizes. */
  private static byte[] rawTar(Object... namesAndSizes) {
    TarBuilder b = new TarBuilder();
    for (int i = 0; i < namesAndSizes.length; i += 2) {
      b.file((String) namesAndSizes[i], new byte[(Integer) namesAndSizes[i + 1]]);
    }
    return b.build();
  }

  /** Layers the unpacker refuses, and what the refusal says about them. */
  static Stream<Arguments> refusedLayers() {
    byte[] gzip = TarBuilder.compress(everyKind(), Compression.GZIP);
    return Stream.of(
        Arguments.of("dot-dot entry at the end",
            TarBuilder.compress(rawTar("ok", 100_000, "../evil", 1), Compression.GZIP),
            "unsafe layer entry \"../evil\": name \"../evil\" has a \"..\" component"),
        Arguments.of("absolute name", rawTar("/etc/evil", 1),
            "unsafe layer entry \"/etc/evil\": name \"/etc/evil\" is absolute"),
        Arguments.of("hard link to a missing file",
            TarBuilder.compress(new TarBuilder().hardLink("link", "nowhere").build(), Compression.ZSTD),
            "entry \"link\": hard link target \"nowhere\" is not in the layer"),
        Arguments.of("hard link out of the layer",
            new TarBuilder().hardLink("passwd", "../../etc/passwd").build(),
            "unsafe layer entry \"passwd\": hard link target \"../../etc/passwd\" has a"),
        Arguments.of("truncated gzip", Arrays.copyOf(gzip, gzip.length - 10),
            "truncated: the gzip stream ends early"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedLayers")
  void aLayerTheUnpackerWouldRefuseIsRefusedWithTheReasonAndNothingIsStored(String why, byte[] layer,
      String reason) throws IOException {
    assertThatThrownBy(() -> ingest(layer)).isInstanceOf(RefusedLayerException.class)
        .hasMessageStartingWith("layer " + NAME + " refused: ")
        .hasMessageContaining(reason);
    assertNothingStored();
  }

  /**
   * A gzip layer of a file of {@code mib} MiB of zeros followed by the entries of {@code tail}, made
   * of concatenated gzip members (one per MiB of zeros), so that it is about 1 KiB per MiB.
   */
  private static byte[] gzipOfZeros(String name, int mib, byte[] tail) {
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    TarArchiveEntry zeros = new TarArchiveEntry(name);
    zeros.setSize((long) mib << 20);
    byte[] header = new byte[512];
    zeros.writeEntryHeader(header);
    blob.writeBytes(TarBuilder.compress(header, Compression.GZIP));
    byte[] mebibyte = TarBuilder.compress(new byte[1 << 20], Compression.GZIP);
    for (int i = 0; i < mib; i++) {
      blob.writeBytes(mebibyte);
    }
    blob.writeBytes(TarBuilder.compress(tail, Compression.GZIP));
    return blob.toByteArray();
  }

  @Test
  void aGzipBombIsRefusedByTheRatioLimitAndNothingIsStored() throws IOException {
    byte[] bomb = gzipOfZeros("zeros", 1024, rawTar("../evil", 1));

    assertThatThrownBy(() -> ingest(bomb)).isInstanceOf(RefusedLayerException.class)
        .hasMessageStartingWith("layer " + NAME + " refused: the layer expands more than 100 times"
            + " (max-layer-ratio) its 1.0 MiB compressed; refused after ");
    assertNothingStored();
  }

  @Test
  void theImportersLimitsApply() throws IOException {
    byte[] three = rawTar("a", 1, "b", 1, "c", 1);
    LayerImporter strict = new LayerImporter(content, LayerLimits.DEFAULTS.withMaxEntries(2));

    assertThatThrownBy(() -> ingest(strict, three)).isInstanceOf(RefusedLayerException.class)
        .hasMessageContaining("more than 2 entries (max-layer-entries), at entry \"c\"");
    assertNothingStored();
    assertThat(ingest(three).blob()).isEqualTo(Digest.sha256(three));
  }
}
