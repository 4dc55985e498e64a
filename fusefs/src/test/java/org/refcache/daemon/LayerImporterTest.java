package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;

/** The one-pass import of local layer tarballs into the content store (no mount). */
class LayerImporterTest {
  @TempDir
  Path dir;
  private CacheManager cache;
  private LayerImporter importer;

  @BeforeEach
  void open() throws Exception {
    cache = CacheManager.open(CacheConfig.at(dir.resolve("root")));
    importer = new LayerImporter(cache.contentStore());
  }

  @AfterEach
  void close() {
    cache.close();
  }

  @Test
  void blobDigestIsTheFilesAndDiffIdIsTheUncompressedTarsForEveryCompression() throws Exception {
    byte[] tar = LayerTar.tar(LayerTar.everyKind());
    for (Compression c : Compression.values()) {
      byte[] blob = LayerTar.compress(tar, c);
      Path f = dir.resolve("layer-" + c);
      Files.write(f, blob);

      LayerImporter.Imported got = importer.ingest(f, (b, t) -> {});

      assertThat(got.blob()).as(c.name()).isEqualTo(Digest.sha256(blob));
      assertThat(got.diffId()).as(c.name()).isEqualTo(Digest.sha256(tar));
      assertThat(got.size()).isEqualTo(blob.length);
      assertThat(got.mediaType()).isEqualTo(c.ociMediaType());
      assertThat(Files.readAllBytes(cache.contentStore().blobPath(got.blob()))).isEqualTo(blob);
    }
    assertThat(Compression.GZIP.ociMediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
  }

  @Test
  void importingTheSameFileTwiceGivesTheSameBlob() throws Exception {
    Path f = dir.resolve("l.tar.gz");
    Files.write(f, LayerTar.compress(LayerTar.tar(LayerTar.oneFile("a", "a")), Compression.GZIP));
    assertThat(importer.ingest(f, (b, t) -> {})).isEqualTo(importer.ingest(f, (b, t) -> {}));
  }

  @Test
  void progressEndsWithTheWholeFile() throws Exception {
    Path f = dir.resolve("l.tar");
    Files.write(f, LayerTar.tar(LayerTar.everyKind()));
    List<long[]> updates = new ArrayList<>();

    importer.ingest(f, (b, t) -> updates.add(new long[] {b, t}));

    assertThat(updates).isNotEmpty();
    assertThat(updates.get(updates.size() - 1)).containsExactly(Files.size(f), Files.size(f));
  }

  @Test
  void filesThatAreNotLayerTarsAreRefusedAndNothingIsStored() throws Exception {
    Path text = dir.resolve("text");
    Files.writeString(text, "hello ".repeat(200));
    Path tiny = dir.resolve("tiny.gz");
    Files.write(tiny, LayerTar.compress("short".getBytes(), Compression.GZIP));
    Path truncated = dir.resolve("truncated.tar.gz");
    byte[] gz = LayerTar.compress(LayerTar.tar(LayerTar.everyKind()), Compression.GZIP);
    Files.write(truncated, java.util.Arrays.copyOf(gz, gz.length / 2));

    assertThatThrownBy(() -> importer.ingest(text, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageContaining("not a layer tar");
    assertThatThrownBy(() -> importer.ingest(tiny, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessage("layer " + tiny + " refused: not a layer tar: only 5 bytes, less than one tar header");
    assertThatThrownBy(() -> importer.ingest(truncated, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageStartingWith("layer " + truncated + " refused: truncated: the gzip stream ends early, after "
            + Files.size(truncated) + " bytes");
    assertThatThrownBy(() -> importer.ingest(dir.resolve("missing"), (b, t) -> {}))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> importer.ingest(dir, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageContaining("not a regular file");
    assertNothingStored();
  }

  private void assertNothingStored() throws java.io.IOException {
    List<Digest> stored = new ArrayList<>();
    cache.contentStore().walk(i -> stored.add(i.digest()));
    assertThat(stored).as("blobs").isEmpty();
    try (java.util.stream.Stream<Path> ingests = Files.walk(dir.resolve("root/content/ingest"))) {
      assertThat(ingests.filter(Files::isRegularFile)).as("ingest files").isEmpty();
    }
  }

  /** Layers the unpacker refuses, and what the refusal says about them. */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> refusedLayers()
      throws java.io.IOException {
    byte[] good = LayerTar.tar(LayerTar.everyKind());
    byte[] gzip = LayerTar.compress(good, Compression.GZIP);
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of("dot-dot entry at the end",
            LayerTar.compress(LayerTar.rawTar("ok", 100_000, "../evil", 1), Compression.GZIP),
            "unsafe layer entry \"../evil\": name \"../evil\" has a \"..\" component"),
        org.junit.jupiter.params.provider.Arguments.of("absolute name",
            LayerTar.rawTar("/etc/evil", 1),
            "unsafe layer entry \"/etc/evil\": name \"/etc/evil\" is absolute"),
        org.junit.jupiter.params.provider.Arguments.of("hard link to a missing file",
            LayerTar.compress(LayerTar.tar(List.of(new LayerTar.HardLink("link", "nowhere"))),
                Compression.ZSTD),
            "entry \"link\": hard link target \"nowhere\" is not in the layer"),
        org.junit.jupiter.params.provider.Arguments.of("hard link out of the layer",
            LayerTar.tar(List.of(new LayerTar.HardLink("passwd", "../../etc/passwd"))),
            "unsafe layer entry \"passwd\": hard link target \"../../etc/passwd\" has a"),
        org.junit.jupiter.params.provider.Arguments.of("truncated gzip",
            java.util.Arrays.copyOf(gzip, gzip.length - 10),
            "truncated: the gzip stream ends early"));
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("refusedLayers")
  void aLayerTheUnpackerWouldRefuseIsRefusedWithTheReasonAndNothingIsStored(String why, byte[] layer,
      String reason) throws Exception {
    Path f = dir.resolve("refused.layer");
    Files.write(f, layer);

    assertThatThrownBy(() -> importer.ingest(f, (b, t) -> {}))
        .isInstanceOfSatisfying(ControlException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.OTHER))
        .hasMessageStartingWith("layer " + f + " refused: ")
        .hasMessageContaining(reason);
    assertNothingStored();
  }

  @Test
  void aGzipBombIsRefusedByTheRatioLimitAndNothingIsStored() throws Exception {
    Path bomb = dir.resolve("bomb.tar.gz");
    Files.write(bomb, LayerTar.gzipOfZeros("zeros", 1024, LayerTar.rawTar("../evil", 1)));

    assertThatThrownBy(() -> importer.ingest(bomb, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageStartingWith("layer " + bomb + " refused: the layer expands more than 100 times"
            + " (max-layer-ratio) its 1.0 MiB compressed; refused after ");
    assertNothingStored();
  }

  @Test
  void theImportersLimitsApply() throws Exception {
    Path f = dir.resolve("three.tar");
    Files.write(f, LayerTar.rawTar("a", 1, "b", 1, "c", 1));
    LayerImporter strict = new LayerImporter(cache.contentStore(),
        org.refcache.core.layer.LayerLimits.DEFAULTS.withMaxEntries(2));

    assertThatThrownBy(() -> strict.ingest(f, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageContaining("more than 2 entries (max-layer-entries), at entry \"c\"");
    assertNothingStored();
    assertThat(importer.ingest(f, (b, t) -> {}).blob()).isEqualTo(Digest.sha256(Files.readAllBytes(f)));
  }
}
