package org.refcache.core.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.ReadableTree;
import org.refcache.core.layer.TreeListing;
import org.refcache.core.overlay.OverlayReadableTree;
import org.refcache.core.overlay.OverlayTree;

/**
 * {@code docker save} archives, in both of Docker's forms, built here the way Docker lays them
 * out (there is no Docker on this machine): read, verified, and unpacked to the tree.
 */
class DockerArchiveReaderTest extends OciFixture {

  /** Classic form: {@code <id>/layer.tar} (uncompressed), {@code <hex>.json} config. */
  Path classicArchive(byte[] tamperLayer) throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.UNCOMPRESSED);
    byte[] config = configOf(layers).toJson();
    String configName = org.refcache.core.digest.Digest.sha256(config).hex() + ".json";
    Map<String, byte[]> files = new LinkedHashMap<>();
    StringBuilder layerNames = new StringBuilder();
    for (int i = 0; i < layers.size(); i++) {
      String name = "layer" + i + "/layer.tar";
      byte[] bytes = blob(layers.get(i));
      if (tamperLayer != null && i == 1) {
        bytes = tamperLayer;
      }
      files.put("layer" + i + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
      files.put(name, bytes);
      layerNames.append(i == 0 ? "" : ",").append('"').append(name).append('"');
    }
    files.put(configName, config);
    files.put("manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":"
        + "[\"example/app:1.0\",\"example/app:latest\"],\"Layers\":[" + layerNames + "]}]")
        .getBytes(StandardCharsets.UTF_8));
    return writeTar(tmp.resolve("classic.tar"), files);
  }

  /** Docker 25+ form: an OCI layout inside the tar, gzip layers under {@code blobs/sha256}. */
  Path ociFormArchive() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.GZIP);
    byte[] config = configOf(layers).toJson();
    String configName = "blobs/sha256/" + org.refcache.core.digest.Digest.sha256(config).hex();
    Map<String, byte[]> files = new LinkedHashMap<>();
    StringBuilder layerNames = new StringBuilder();
    for (int i = 0; i < layers.size(); i++) {
      String name = "blobs/sha256/" + layers.get(i).blob().digest().hex();
      files.put(name, blob(layers.get(i)));
      layerNames.append(i == 0 ? "" : ",").append('"').append(name).append('"');
    }
    files.put(configName, config);
    files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
    files.put("manifest.json", ("[{\"Config\":\"" + configName + "\",\"RepoTags\":"
        + "[\"example/app:2.0\"],\"Layers\":[" + layerNames + "]}]")
        .getBytes(StandardCharsets.UTF_8));
    return writeTar(tmp.resolve("oci-form.tar"), files);
  }

  byte[] blob(ImageLayer layer) throws IOException {
    try (InputStream in = store.open(layer.blob().digest())) {
      return in.readAllBytes();
    }
  }

  static Path writeTar(Path file, Map<String, byte[]> files) throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
         TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(f.getValue().length);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
    }
    return file;
  }

  void assertUnpacksToTheUpperTree(DockerArchiveReader reader, OciImage image) throws IOException {
    Path base = unpack(reader, image.layers().get(0));
    Path top = unpack(reader, image.layers().get(1));
    assertThat(TreeListing.of(new OverlayReadableTree(new OverlayTree(List.of(top, base))), false))
        .isEqualTo(TreeListing.of(ReadableTree.directory(upperTree), false));
  }

  @Test
  void aClassicArchiveIsReadAndItsLayersUnpackToTheTree() throws IOException {
    try (DockerArchiveReader reader = DockerArchiveReader.open(classicArchive(null))) {
      OciImage image = reader.image("example/app:latest");

      assertThat(reader.tags()).containsExactly("example/app:1.0", "example/app:latest");
      assertThat(image.layers()).extracting(l -> l.blob().mediaType())
          .containsOnly(Compression.UNCOMPRESSED.ociMediaType());
      assertThat(image.layers()).allSatisfy(l ->
          assertThat(l.blob().digest()).isEqualTo(l.diffId()));
      assertThat(image.imageConfig().created()).isEqualTo(CREATED);
      assertUnpacksToTheUpperTree(reader, image);
    }
  }

  @Test
  void anArchiveInDocker25FormIsReadAndItsLayersUnpackToTheTree() throws IOException {
    try (DockerArchiveReader reader = DockerArchiveReader.open(ociFormArchive())) {
      OciImage image = reader.image(null);

      assertThat(image.layers()).extracting(l -> l.blob().mediaType())
          .containsOnly(Compression.GZIP.ociMediaType());
      assertUnpacksToTheUpperTree(reader, image);
    }
  }

  @Test
  void aTamperedLayerFailsAtItsEnd() throws IOException {
    List<ImageLayer> layers = writeLayers(Compression.UNCOMPRESSED);
    byte[] bad = blob(layers.get(1));
    bad[700] ^= 1;
    try (DockerArchiveReader reader = DockerArchiveReader.open(classicArchive(bad))) {
      OciImage image = reader.image("example/app:1.0");

      assertThatThrownBy(() -> {
        try (InputStream in = reader.openBlob(image.layers().get(1).blob())) {
          in.readAllBytes();
        }
      }).isInstanceOf(BlobMismatchException.class).hasMessageContaining("hashes to");
    }
  }

  @Test
  void aMissingTagIsNamedWithTheTagsThereAre() throws IOException {
    try (DockerArchiveReader reader = DockerArchiveReader.open(classicArchive(null))) {
      assertThatThrownBy(() -> reader.image("other:1"))
          .isInstanceOf(ImageNotFoundException.class)
          .hasMessageContaining("example/app:1.0, example/app:latest");
    }
  }

  @Test
  void aCompressedArchiveOrOneWithoutManifestIsRefused() throws IOException {
    Path archive = classicArchive(null);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream out = Compression.GZIP.compress(gz)) {
      out.write(Files.readAllBytes(archive));
    }
    Path compressed = Files.write(tmp.resolve("saved.tar.gz"), gz.toByteArray());
    assertThatThrownBy(() -> DockerArchiveReader.open(compressed))
        .isInstanceOf(OciFormatException.class).hasMessageContaining("decompress it first");

    Path plain = writeTar(tmp.resolve("plain.tar"), Map.of("a", new byte[] {1}));
    assertThatThrownBy(() -> DockerArchiveReader.open(plain))
        .isInstanceOf(OciFormatException.class).hasMessageContaining("no manifest.json");
  }
}
