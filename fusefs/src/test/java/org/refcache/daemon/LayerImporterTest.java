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
    assertThatThrownBy(() -> importer.ingest(tiny, (b, t) -> {})).isInstanceOf(ControlException.class);
    assertThatThrownBy(() -> importer.ingest(truncated, (b, t) -> {})).isInstanceOf(java.io.IOException.class)
        .hasMessage("the gzip stream ends early: the blob is truncated");
    assertThatThrownBy(() -> importer.ingest(dir.resolve("missing"), (b, t) -> {}))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> importer.ingest(dir, (b, t) -> {})).isInstanceOf(ControlException.class)
        .hasMessageContaining("not a regular file");
    List<Digest> stored = new ArrayList<>();
    cache.contentStore().walk(i -> stored.add(i.digest()));
    assertThat(stored).isEmpty();
  }
}
