package org.refcache.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingInputStream;
import org.refcache.core.layer.Compression;

/**
 * Reads images from a {@code docker save} archive: a plain tar holding {@code manifest.json}
 * ({@code [{"Config": ..., "RepoTags": [...], "Layers": [...]}]}), the configs and the layer tars,
 * either in the classic form ({@code <id>/layer.tar}) or, since Docker 25, as an OCI layout inside
 * the tar ({@code blobs/sha256/<hex>}). Files are read in place (the tar is opened for random
 * access), nothing is extracted.
 *
 * <p>A layer's descriptor: an uncompressed layer's digest is its diffID; a compressed one's is its
 * name when it is stored as {@code blobs/sha256/<hex>}, else it is hashed once when the image is
 * read. Every blob is verified as it is streamed ({@link #openBlob}). Close the reader when done.
 */
public final class DockerArchiveReader implements BlobSource, Closeable {
  private static final String BLOBS_SHA256 = "blobs/sha256/";

  private final Path file;
  private final TarFile tar;
  private final Map<String, TarArchiveEntry> entries = new HashMap<>();
  /** Blob digest -> the archive entry holding it, for {@link #openBlob}. */
  private final Map<Digest, TarArchiveEntry> blobs = new HashMap<>();

  private DockerArchiveReader(Path file, TarFile tar) {
    this.file = file;
    this.tar = tar;
    for (TarArchiveEntry e : tar.getEntries()) {
      entries.put(clean(e.getName()), e);
    }
  }

  /**
   * Opens the archive {@code file} (a plain tar, as {@code docker save} writes it).
   *
   * @throws OciFormatException if it is not a tar with a {@code manifest.json}
   */
  public static DockerArchiveReader open(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    byte[] head = new byte[Compression.MAGIC_LENGTH];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    if (Compression.sniff(head, n) != Compression.UNCOMPRESSED) {
      throw new OciFormatException(file + ": a compressed file; a docker archive is a plain tar"
          + " (decompress it first)");
    }
    TarFile tar;
    try {
      tar = new TarFile(file);
    } catch (IOException | RuntimeException e) {
      throw new OciFormatException(file + ": not a tar: " + e.getMessage(), e);
    }
    DockerArchiveReader reader = new DockerArchiveReader(file, tar);
    if (!reader.entries.containsKey("manifest.json")) {
      reader.close();
      throw new OciFormatException(file + ": not a docker archive (no manifest.json)");
    }
    return reader;
  }

  /** The tags ({@code name:tag}) of the archive's images, in manifest order. */
  public List<String> tags() throws IOException {
    List<String> tags = new ArrayList<>();
    for (JsonNode image : manifest()) {
      for (JsonNode tag : OciJson.array(image, "RepoTags", file + ": manifest.json", false)) {
        tags.add(tag.asText());
      }
    }
    return tags;
  }

  /**
   * The image tagged {@code tag} ({@code name:tag} as in {@code RepoTags}), or, when
   * {@code tag} is null, the archive's only image.
   *
   * @throws ImageNotFoundException if there is no such image (or, for null, not exactly one)
   */
  public OciImage image(String tag) throws IOException {
    List<JsonNode> images = manifest();
    JsonNode chosen = null;
    if (tag == null) {
      if (images.size() != 1) {
        throw new OciFormatException(file + ": " + images.size() + " images; name one by tag ("
            + String.join(", ", tags()) + ")");
      }
      chosen = images.get(0);
    } else {
      for (JsonNode image : images) {
        for (JsonNode t : OciJson.array(image, "RepoTags", file + ": manifest.json", false)) {
          if (tag.equals(t.asText())) {
            chosen = image;
          }
        }
      }
      if (chosen == null) {
        throw new ImageNotFoundException(file.toString(), tag, tags());
      }
    }
    return read(chosen, tag);
  }

  private OciImage read(JsonNode image, String tag) throws IOException {
    String where = file + ": manifest.json";
    String configName = OciJson.requireString(image, "Config", where);
    TarArchiveEntry configEntry = entry(configName);
    byte[] configBytes;
    try (InputStream in = tar.getInputStream(configEntry)) {
      configBytes = in.readNBytes(OciLayoutReader.MAX_DOCUMENT + 1);
    }
    if (configBytes.length > OciLayoutReader.MAX_DOCUMENT) {
      throw new OciFormatException(file + ": " + configName + " is too large for a config");
    }
    Digest configDigest = Digest.sha256(configBytes);
    Digest named = digestInName(configName);
    if (named != null && !named.equals(configDigest)) {
      throw new BlobMismatchException(file.toString(), named, "(" + configName + ") hashes to "
          + configDigest);
    }
    ImageConfig config = ImageConfig.parse(configBytes, file + ": " + configName);
    List<JsonNode> layerNames = OciJson.array(image, "Layers", where, true);
    if (layerNames.size() != config.diffIds().size()) {
      throw new OciFormatException(where + ": " + layerNames.size() + " layers, but its config "
          + "has " + config.diffIds().size() + " diff_ids");
    }
    List<ImageLayer> layers = new ArrayList<>();
    for (int i = 0; i < layerNames.size(); i++) {
      String name = layerNames.get(i).asText();
      layers.add(layer(name, entry(name), config.diffIds().get(i)));
    }
    OciDescriptor configDescriptor = OciDescriptor.of(OciMediaTypes.DOCKER_CONFIG, configDigest,
        configBytes.length);
    blobs.put(configDigest, configEntry);
    return new OciImage(tag, null, configDescriptor, config, layers);
  }

  private ImageLayer layer(String name, TarArchiveEntry entry, Digest diffId) throws IOException {
    byte[] head = new byte[Compression.MAGIC_LENGTH];
    int n;
    try (InputStream in = tar.getInputStream(entry)) {
      n = in.readNBytes(head, 0, head.length);
    }
    Compression compression = Compression.sniff(head, n);
    Digest digest;
    if (compression == Compression.UNCOMPRESSED) {
      digest = diffId; // checked as it is read
    } else if (digestInName(name) != null) {
      digest = digestInName(name);
    } else {
      try (DigestingInputStream in = new DigestingInputStream(
          new BufferedInputStream(tar.getInputStream(entry)), Digester.sha256())) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
        digest = in.digest();
      }
    }
    blobs.put(digest, entry);
    return new ImageLayer(OciDescriptor.of(compression.ociMediaType(), digest, entry.getSize()),
        diffId);
  }

  @Override
  public InputStream openBlob(OciDescriptor blob) throws IOException {
    TarArchiveEntry entry = blobs.get(blob.digest());
    if (entry == null) {
      throw new NoSuchFileException(file + ": blob " + blob.digest() + " (read the image first)");
    }
    return new VerifyingInputStream(tar.getInputStream(entry), blob, file.toString());
  }

  private List<JsonNode> manifest() throws IOException {
    byte[] bytes;
    try (InputStream in = tar.getInputStream(entry("manifest.json"))) {
      bytes = in.readNBytes(OciLayoutReader.MAX_DOCUMENT + 1);
    }
    JsonNode node;
    try {
      node = OciJson.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new OciFormatException(file + ": manifest.json: not JSON", e);
    }
    if (node == null || !node.isArray()) {
      throw new OciFormatException(file + ": manifest.json: not a JSON array");
    }
    List<JsonNode> images = new ArrayList<>();
    node.forEach(images::add);
    return images;
  }

  private TarArchiveEntry entry(String name) throws OciFormatException {
    TarArchiveEntry e = entries.get(clean(name));
    if (e == null || !e.isFile()) {
      throw new OciFormatException(file + ": " + name + " is named by manifest.json but is not"
          + " a file in the archive");
    }
    return e;
  }

  /** The digest a name like {@code blobs/sha256/<hex>} or {@code <hex>.json} spells, or null. */
  private static Digest digestInName(String name) {
    String n = clean(name);
    String hex = n.startsWith(BLOBS_SHA256) ? n.substring(BLOBS_SHA256.length())
        : n.endsWith(".json") ? n.substring(0, n.length() - ".json".length()) : null;
    if (hex == null || hex.length() != 64 || !hex.matches("[0-9a-f]+")) {
      return null;
    }
    return new Digest(Digest.SHA256, hex);
  }

  private static String clean(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }
}
