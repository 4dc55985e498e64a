package org.refcache.core.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.LayerWriter;
import org.refcache.core.layer.ReadableTree;
import org.refcache.core.layer.TreeListing;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.overlay.OverlayReadableTree;
import org.refcache.core.overlay.OverlayTree;

/** Image layouts written and read back, and what the reader refuses. */
class OciLayoutTest extends OciFixture {
  @Test
  void anExportedImageReadsBackWithItsLayersConfigAndHistory() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.GZIP);
    Path dir = tmp.resolve("layout");
    OciDescriptor manifest = OciLayoutWriter.open(dir).writeImage("v1", configOf(layers), layers,
        store);

    OciImage image = OciLayoutReader.open(dir).image("v1");

    assertThat(image.manifest()).isEqualTo(manifest);
    assertThat(image.layers()).isEqualTo(layers);
    assertThat(image.imageConfig().diffIds())
        .containsExactly(layers.get(0).diffId(), layers.get(1).diffId());
    assertThat(image.imageConfig().history()).extracting(ImageConfig.History::createdBy)
        .containsExactly("refcache layer 0", "refcache layer 1");
    assertThat(image.imageConfig().created()).isEqualTo(CREATED);
    assertThat(image.imageConfig().os()).isEqualTo("linux");
    assertThat(image.config().mediaType()).isEqualTo(OciMediaTypes.CONFIG);
    assertThat(Files.readString(dir.resolve("oci-layout")))
        .isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
    JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
    assertThat(index.get("manifests")).hasSize(1);
    assertThat(index.at("/manifests/0/annotations/org.opencontainers.image.ref.name").asText())
        .isEqualTo("v1");
    assertThat(index.at("/manifests/0/mediaType").asText()).isEqualTo(OciMediaTypes.MANIFEST);
  }

  @Test
  void theLayersOfAnExportedImageUnpackToTheTree() throws IOException {
    Path dir = export("latest", Compression.ZSTD);
    OciLayoutReader reader = OciLayoutReader.open(dir);
    OciImage image = reader.image("latest");

    Path base = unpack(reader, image.layers().get(0));
    Path top = unpack(reader, image.layers().get(1));

    assertThat(TreeListing.of(new OverlayReadableTree(new OverlayTree(List.of(top, base))), false))
        .isEqualTo(TreeListing.of(ReadableTree.directory(upperTree), false));
  }

  @Test
  void theSameImageExportedTwiceIsTheSameManifest() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.GZIP);

    OciDescriptor first = OciLayoutWriter.open(tmp.resolve("a"))
        .writeImage("t", configOf(layers), layers, store);
    OciDescriptor second = OciLayoutWriter.open(tmp.resolve("b"))
        .writeImage("t", configOf(layers), layers, store);

    assertThat(second).isEqualTo(first);
  }

  @Test
  void aTagMovesToTheNewImageAndOtherTagsStay() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.GZIP);
    Path dir = tmp.resolve("layout");
    OciLayoutWriter writer = OciLayoutWriter.open(dir);
    writer.writeImage("one", configOf(layers.subList(0, 1)), layers.subList(0, 1), store);
    writer.writeImage("two", configOf(layers), layers, store);
    writer.writeImage("one", configOf(layers), layers, store);

    OciLayoutReader reader = OciLayoutReader.open(dir);

    assertThat(reader.tags()).containsExactly("two", "one");
    assertThat(reader.image("one").layers()).hasSize(2);
    assertThat(OciLayoutWriter.open(dir).directory()).isEqualTo(dir);
  }

  @Test
  void aMissingTagIsNamedWithTheTagsThereAre() throws IOException {
    Path dir = export("v1", Compression.GZIP);

    assertThatThrownBy(() -> OciLayoutReader.open(dir).image("v2"))
        .isInstanceOf(ImageNotFoundException.class)
        .hasMessageContaining("no image tagged \"v2\"").hasMessageContaining("(it has v1)");
  }

  @Test
  void aCorruptLayerBlobFailsAtItsEnd() throws IOException {
    Path dir = export("latest", Compression.UNCOMPRESSED);
    OciLayoutReader reader = OciLayoutReader.open(dir);
    ImageLayer layer = reader.image("latest").layers().get(1);
    Path blob = reader.blobPath(layer.blob().digest());
    blob.toFile().setWritable(true);
    byte[] bytes = Files.readAllBytes(blob);
    bytes[600] ^= 1;
    Files.write(blob, bytes);

    assertThatThrownBy(() -> {
      try (InputStream in = reader.openBlob(layer.blob())) {
        in.readAllBytes();
      }
    }).isInstanceOf(BlobMismatchException.class)
        .hasMessageContaining(layer.blob().digest().toString()).hasMessageContaining("hashes to");
  }

  @Test
  void aBlobLongerThanItsDescriptorFailsAsSoonAsItIs() throws IOException {
    Path dir = export("latest", Compression.GZIP);
    OciLayoutReader reader = OciLayoutReader.open(dir);
    ImageLayer layer = reader.image("latest").layers().get(0);
    Files.write(reader.blobPath(layer.blob().digest()), new byte[10], StandardOpenOption.APPEND);

    assertThatThrownBy(() -> {
      try (InputStream in = reader.openBlob(layer.blob())) {
        in.readAllBytes();
      }
    }).isInstanceOf(BlobMismatchException.class).hasMessageContaining("longer than");
  }

  @Test
  void aManifestThatIsNotItsDigestIsRefused() throws IOException {
    Path dir = export("latest", Compression.GZIP);
    OciLayoutReader reader = OciLayoutReader.open(dir);
    OciDescriptor manifest = reader.index().get(0);
    Path file = reader.blobPath(manifest.digest());
    String json = Files.readString(file).replace("\"schemaVersion\":2", "\"schemaVersion\":3");
    Files.writeString(file, json);

    assertThatThrownBy(() -> reader.image("latest")).isInstanceOf(BlobMismatchException.class);
  }

  @Test
  void malformedLayoutsAreRefusedNamingTheFileAndField() throws IOException {
    Path notLayout = Files.createDirectory(tmp.resolve("plain"));
    assertThatThrownBy(() -> OciLayoutReader.open(notLayout))
        .isInstanceOf(OciFormatException.class).hasMessageContaining("no oci-layout file");

    Path dir = export("latest", Compression.GZIP);
    Files.writeString(dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + OciMediaTypes.MANIFEST
            + "\",\"size\":3}]}");
    assertThatThrownBy(() -> OciLayoutReader.open(dir).image("latest"))
        .isInstanceOf(OciFormatException.class)
        .hasMessageContaining("index.json: manifests[0].digest: missing");

    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
    assertThatThrownBy(() -> OciLayoutReader.open(dir))
        .isInstanceOf(OciFormatException.class).hasMessageContaining("version 2.0.0");
  }

  @Test
  void theWriterRefusesADirectoryThatIsNeitherEmptyNorALayout() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("busy"));
    Files.writeString(dir.resolve("something"), "x");

    assertThatThrownBy(() -> OciLayoutWriter.open(dir))
        .isInstanceOf(OciFormatException.class).hasMessageContaining("not empty");
  }

  @Test
  void invalidTagsAndMismatchedConfigsAreRefused() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.GZIP);
    OciLayoutWriter writer = OciLayoutWriter.open(tmp.resolve("layout"));

    assertThatThrownBy(() -> writer.writeImage("bad tag", configOf(layers), layers, store))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid image tag");
    assertThatThrownBy(() -> writer.writeImage("t", configOf(layers.subList(0, 1)), layers, store))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("diffIDs");
  }

  @Test
  void aReferenceIsADirectoryAndATagThatDefaultsToLatest() {
    assertThat(LayoutReference.parse("out/img")).isEqualTo(
        new LayoutReference(Path.of("out/img"), "latest"));
    assertThat(LayoutReference.parse("out/img:v1.2")).isEqualTo(
        new LayoutReference(Path.of("out/img"), "v1.2"));
    assertThatThrownBy(() -> LayoutReference.parse(":v1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LayoutReference.parse("dir:-bad"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anImportedImageStoresItsLayersWithTheirDiffIds() throws IOException {
    Path dir = export("latest", Compression.GZIP);
    OciLayoutReader reader = OciLayoutReader.open(dir);
    OciImage image = reader.image("latest");
    LmdbEnvironment otherEnv = LmdbEnvironment.open(tmp.resolve("meta2"),
        List.of(ContentStore.DATABASE), 0);
    try {
      ContentStore other = ContentStore.open(tmp.resolve("content2"), otherEnv);

      List<ImageLayer> stored = new ImageImporter(other).storeLayers(image, reader);

      assertThat(stored).isEqualTo(image.layers());
      for (ImageLayer layer : stored) {
        assertThat(other.info(layer.blob().digest()).orElseThrow().labels())
            .containsEntry(LayerWriter.UNCOMPRESSED_LABEL, layer.diffId().toString());
        try (InputStream in = other.open(layer.blob().digest())) {
          assertThat(Digest.sha256(in.readAllBytes())).isEqualTo(layer.blob().digest());
        }
      }
      // Again: already stored, nothing copied, nothing fails.
      assertThat(new ImageImporter(other).storeLayers(image, reader)).isEqualTo(stored);
    } finally {
      otherEnv.close();
    }
  }
}
