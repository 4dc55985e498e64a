package org.refcache.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/**
 * Reads images from an OCI image layout: {@code index.json} -> the manifest tagged with the tag
 * asked for (through a nested index, the entry for this platform) -> the config and the layer
 * descriptors. Manifests and configs are verified against their digests when read; layer blobs
 * as they are streamed ({@link #openBlob}).
 *
 * <p>Reads OCI manifests and Docker schema-2 manifests (which {@code skopeo} may keep in a
 * layout), with any layer media type {@link MediaTypes} knows. Stateless apart from the path;
 * thread-safe.
 */
public final class OciLayoutReader implements BlobSource {
  /** The most bytes a manifest, index or config may have: they are read whole. */
  static final int MAX_DOCUMENT = 8 * 1024 * 1024;

  private final Path dir;

  private OciLayoutReader(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens the layout at {@code dir}.
   *
   * @throws NoSuchFileException if {@code dir} does not exist
   * @throws OciFormatException if it is not a layout this package reads
   */
  public static OciLayoutReader open(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    if (!Files.isDirectory(dir)) {
      throw Files.exists(dir) ? new OciFormatException(dir + ": not a directory")
          : new NoSuchFileException(dir.toString());
    }
    checkLayoutFile(dir);
    return new OciLayoutReader(dir);
  }

  /** Checks {@code dir/oci-layout}: present, JSON, the version this package knows. */
  static void checkLayoutFile(Path dir) throws IOException {
    Path file = dir.resolve("oci-layout");
    if (!Files.exists(file)) {
      throw new OciFormatException(dir + ": not an OCI image layout (no oci-layout file)");
    }
    ObjectNode layout = OciJson.parseObject(Files.readAllBytes(file), file.toString());
    String version = OciJson.requireString(layout, "imageLayoutVersion", file.toString());
    if (!version.equals(OciMediaTypes.LAYOUT_VERSION)) {
      throw new OciFormatException(file + ": image layout version " + version + ", only "
          + OciMediaTypes.LAYOUT_VERSION + " is known");
    }
  }

  /** The layout's directory. */
  public Path directory() {
    return dir;
  }

  /** The entries of {@code index.json}, in order. */
  public List<OciDescriptor> index() throws IOException {
    Path file = dir.resolve("index.json");
    if (!Files.exists(file)) {
      throw new OciFormatException(dir + ": not an OCI image layout (no index.json)");
    }
    ObjectNode index = OciJson.parseObject(readSmall(file), file.toString());
    List<JsonNode> manifests = OciJson.array(index, "manifests", file.toString(), true);
    List<OciDescriptor> entries = new ArrayList<>();
    for (int i = 0; i < manifests.size(); i++) {
      entries.add(OciJson.descriptor(manifests.get(i), file + ": manifests[" + i + "]"));
    }
    return entries;
  }

  /** The tags of the index's entries, in index order. */
  public List<String> tags() throws IOException {
    List<String> tags = new ArrayList<>();
    for (OciDescriptor d : index()) {
      if (d.refName() != null) {
        tags.add(d.refName());
      }
    }
    return tags;
  }

  /**
   * The image tagged {@code tag}. The last entry with that tag wins (as in containerd); an entry
   * that is an index is followed to its manifest for this platform, or its only one.
   *
   * @throws ImageNotFoundException if no entry has the tag
   * @throws OciFormatException     if a document is malformed or does not match its digest
   */
  public OciImage image(String tag) throws IOException {
    Objects.requireNonNull(tag, "tag");
    OciDescriptor found = null;
    for (OciDescriptor d : index()) {
      if (tag.equals(d.refName())) {
        found = d;
      }
    }
    if (found == null) {
      throw new ImageNotFoundException(dir.toString(), tag, tags());
    }
    return image(tag, found, 0);
  }

  private OciImage image(String tag, OciDescriptor d, int depth) throws IOException {
    if (OciMediaTypes.INDEXES.contains(d.mediaType())) {
      if (depth > 4) {
        throw new OciFormatException(dir + ": image indexes nested deeper than 4 at " + d.digest());
      }
      return image(tag, platformEntry(d), depth + 1);
    }
    if (!OciMediaTypes.MANIFESTS.contains(d.mediaType())) {
      throw new OciFormatException(dir + ": the entry for \"" + tag + "\" is a "
          + d.mediaType() + ", not an image manifest or index");
    }
    String where = dir + ": manifest " + d.digest();
    ObjectNode manifest = OciJson.parseObject(readDocument(d), where);
    OciDescriptor config = OciJson.descriptor(requireObject(manifest, "config", where),
        where + ": config");
    String cwhere = dir + ": config " + config.digest();
    ImageConfig imageConfig = ImageConfig.parse(readDocument(config), cwhere);
    List<JsonNode> layerNodes = OciJson.array(manifest, "layers", where, true);
    if (layerNodes.size() != imageConfig.diffIds().size()) {
      throw new OciFormatException(where + ": " + layerNodes.size() + " layers, but its config "
          + "has " + imageConfig.diffIds().size() + " diff_ids");
    }
    List<ImageLayer> layers = new ArrayList<>();
    for (int i = 0; i < layerNodes.size(); i++) {
      OciDescriptor layer = OciJson.descriptor(layerNodes.get(i), where + ": layers[" + i + "]");
      if (!MediaTypes.isLayer(layer.mediaType())) {
        throw new OciFormatException(where + ": layers[" + i + "]: media type \""
            + layer.mediaType() + "\" is not a layer type refcache reads");
      }
      layers.add(new ImageLayer(layer, imageConfig.diffIds().get(i)));
    }
    return new OciImage(tag, d, config, imageConfig, layers);
  }

  /** The entry of index {@code d} for this platform, or its only entry. */
  private OciDescriptor platformEntry(OciDescriptor d) throws IOException {
    String where = dir + ": index " + d.digest();
    ObjectNode index = OciJson.parseObject(readDocument(d), where);
    List<JsonNode> nodes = OciJson.array(index, "manifests", where, true);
    List<OciDescriptor> entries = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      entries.add(OciJson.descriptor(nodes.get(i), where + ": manifests[" + i + "]"));
    }
    if (entries.size() == 1) {
      return entries.get(0);
    }
    OciDescriptor.Platform here = OciDescriptor.Platform.current();
    for (OciDescriptor e : entries) {
      if (e.platform() != null && e.platform().os().equals(here.os())
          && e.platform().architecture().equals(here.architecture())) {
        return e;
      }
    }
    throw new OciFormatException(where + ": no image for " + here.os() + "/"
        + here.architecture() + " among its " + entries.size() + " entries");
  }

  /**
   * A stream over the blob {@code d} names that fails at its end (or as soon as it is too long)
   * with a {@link BlobMismatchException} if its bytes are not the ones named.
   *
   * @throws NoSuchFileException if the layout does not have the blob
   */
  @Override
  public InputStream openBlob(OciDescriptor d) throws IOException {
    Path file = blobPath(d.digest());
    return new VerifyingInputStream(Files.newInputStream(file), d, dir.toString());
  }

  /** Where the blob {@code digest} is in the layout. */
  public Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  private byte[] readDocument(OciDescriptor d) throws IOException {
    if (d.size() > MAX_DOCUMENT) {
      throw new OciFormatException(dir + ": " + d.mediaType() + " " + d.digest() + " of "
          + d.size() + " bytes is larger than " + MAX_DOCUMENT + " allowed");
    }
    try (InputStream in = openBlob(d)) {
      return in.readAllBytes();
    } catch (NoSuchFileException e) {
      throw new OciFormatException(dir + ": blob " + d.digest() + " (" + d.mediaType()
          + ") is missing", e);
    }
  }

  private static byte[] readSmall(Path file) throws IOException {
    if (Files.size(file) > MAX_DOCUMENT) {
      throw new OciFormatException(file + ": larger than " + MAX_DOCUMENT + " bytes");
    }
    return Files.readAllBytes(file);
  }

  private static JsonNode requireObject(JsonNode parent, String field, String where)
      throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || !n.isObject()) {
      throw new OciFormatException(where + "." + field + ": missing");
    }
    return n;
  }
}
