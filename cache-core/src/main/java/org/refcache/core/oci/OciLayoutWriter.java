package org.refcache.core.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.refcache.core.content.ContentProvider;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingOutputStream;

/**
 * Writes images into an OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/}): blobs first, then an image's config and manifest, then the
 * {@code index.json} entry that tags it ({@value OciMediaTypes#REF_NAME_ANNOTATION}). A tag
 * already in the index is moved to the new image; other entries are kept as they are.
 *
 * <p>Every file appears complete or not at all: a blob is written to a temporary file in the
 * layout, fsynced and renamed to its digest; {@code index.json} is replaced the same way, last, so
 * a layout interrupted mid-export still reads as before. A blob already in the layout is not
 * written again. One writer per layout at a time (nothing locks it).
 */
public final class OciLayoutWriter {
  /** The tag an image gets when none is given, as {@code docker} and {@code skopeo} do. */
  public static final String DEFAULT_TAG = "latest";

  private static final String TEMP_PREFIX = ".tmp-";
  private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile(
      "[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)"
          + "[A-Za-z0-9]+)*)*");

  private final Path dir;
  private final Path blobs;

  private OciLayoutWriter(Path dir) {
    this.dir = dir;
    this.blobs = dir.resolve("blobs");
  }

  /**
   * Opens the layout at {@code dir}, creating it (and its parents) if it does not exist. An
   * existing directory must be a layout of version {@value OciMediaTypes#LAYOUT_VERSION} or empty.
   *
   * @throws OciFormatException if {@code dir} is neither
   */
  public static OciLayoutWriter open(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path layoutFile = dir.resolve("oci-layout");
    if (Files.exists(layoutFile, LinkOption.NOFOLLOW_LINKS)) {
      OciLayoutReader.checkLayoutFile(dir);
    } else {
      if (Files.exists(dir) && !isEmptyDirectory(dir)) {
        throw new OciFormatException(dir + ": not an OCI image layout (no oci-layout file) and"
            + " not empty: refusing to write an image into it");
      }
      Files.createDirectories(dir);
    }
    OciLayoutWriter writer = new OciLayoutWriter(dir);
    Files.createDirectories(writer.blobs.resolve(Digest.SHA256));
    if (!Files.exists(layoutFile)) {
      ObjectNode layout = OciJson.NODES.objectNode();
      layout.put("imageLayoutVersion", OciMediaTypes.LAYOUT_VERSION);
      writer.replaceFile(layoutFile, OciJson.write(layout));
    }
    if (!Files.exists(dir.resolve("index.json"))) {
      writer.writeIndex(List.of());
    }
    return writer;
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new FileAlreadyExistsException(dir.toString(), null, "not a directory");
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /** The layout's directory. */
  public Path directory() {
    return dir;
  }

  /** Whether {@code tag} is a valid {@value OciMediaTypes#REF_NAME_ANNOTATION} (OCI grammar). */
  public static boolean isValidTag(String tag) {
    return tag != null && TAG.matcher(tag).matches();
  }

  /**
   * Writes a blob read from {@code in} (to its end; not closed) and returns its descriptor.
   */
  public OciDescriptor addBlob(String mediaType, InputStream in) throws IOException {
    Objects.requireNonNull(mediaType, "mediaType");
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      Digest digest;
      long size;
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        DigestingOutputStream out = new DigestingOutputStream(Channels.newOutputStream(ch),
            Digester.sha256());
        in.transferTo(out);
        out.flush();
        ch.force(true);
        digest = out.digest();
        size = out.count();
      }
      publish(temp, blobPath(digest));
      return OciDescriptor.of(mediaType, digest, size);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Writes a blob with the given bytes. */
  public OciDescriptor addBlob(String mediaType, byte[] bytes) throws IOException {
    return addBlob(mediaType, new java.io.ByteArrayInputStream(bytes));
  }

  /**
   * Copies the blob {@code blob} describes from {@code source} unless the layout has it, checking
   * that the bytes are the ones named.
   *
   * @return {@code blob}
   * @throws BlobMismatchException if {@code source} gives other bytes (nothing is written)
   */
  public OciDescriptor copyBlob(OciDescriptor blob, ContentProvider source) throws IOException {
    Path target = blobPath(blob.digest());
    if (Files.exists(target) && Files.size(target) == blob.size()) {
      return blob;
    }
    if (!blob.digest().algorithm().equals(Digest.SHA256)) {
      throw new IllegalArgumentException("only sha256 blobs are written: " + blob.digest());
    }
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      try (InputStream in = source.open(blob.digest());
           FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
               StandardOpenOption.WRITE)) {
        DigestingOutputStream out = new DigestingOutputStream(Channels.newOutputStream(ch),
            Digester.sha256());
        in.transferTo(out);
        out.flush();
        if (!out.digest().equals(blob.digest()) || out.count() != blob.size()) {
          throw new BlobMismatchException("the content store", blob.digest(), "holds "
              + out.count() + " bytes hashing to " + out.digest() + ", not " + blob.size()
              + " bytes");
        }
        ch.force(true);
      }
      publish(temp, target);
      return blob;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Writes an image whose layer blobs are in the layout already: its config, its manifest, and
   * the index entry tagging it {@code tag}.
   *
   * @param config      the image's config; its diffIDs must be the layers' own, in order
   * @param layers      the layers, bottom first
   * @param annotations the manifest's annotations (none if empty)
   * @return the manifest's descriptor as the index has it (with the tag annotation)
   * @throws IllegalArgumentException if {@code tag} is not a valid tag or the config's diffIDs
   *     are not the layers'
   * @throws NoSuchFileException if a layer's blob is not in the layout
   */
  public OciDescriptor addImage(String tag, ImageConfig config, List<ImageLayer> layers,
      Map<String, String> annotations) throws IOException {
    if (!isValidTag(tag)) {
      throw new IllegalArgumentException("\"" + tag + "\" is not a valid image tag (letters,"
          + " digits and separators . _ - : @ + between them, / between components)");
    }
    List<Digest> layerDiffIds = layers.stream().map(ImageLayer::diffId).toList();
    if (!config.diffIds().equals(layerDiffIds)) {
      throw new IllegalArgumentException("the config's diffIDs " + config.diffIds()
          + " are not the layers' " + layerDiffIds);
    }
    for (ImageLayer layer : layers) {
      Path blob = blobPath(layer.blob().digest());
      if (!Files.exists(blob)) {
        throw new NoSuchFileException(blob.toString(), null, "layer blob missing from the layout");
      }
    }
    OciDescriptor configBlob = addBlob(OciMediaTypes.CONFIG, config.toJson());
    ObjectNode manifest = OciJson.NODES.objectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", OciMediaTypes.MANIFEST);
    manifest.set("config", OciJson.descriptor(configBlob));
    ArrayNode layerArray = manifest.putArray("layers");
    for (ImageLayer layer : layers) {
      layerArray.add(OciJson.descriptor(layer.blob()));
    }
    if (annotations != null && !annotations.isEmpty()) {
      ObjectNode a = manifest.putObject("annotations");
      new java.util.TreeMap<>(annotations).forEach(a::put);
    }
    OciDescriptor manifestBlob = addBlob(OciMediaTypes.MANIFEST, OciJson.write(manifest));
    Map<String, String> indexAnnotations = new LinkedHashMap<>();
    indexAnnotations.put(OciMediaTypes.REF_NAME_ANNOTATION, tag);
    OciDescriptor tagged = manifestBlob.withAnnotations(indexAnnotations);

    List<JsonNode> entries = new ArrayList<>();
    for (JsonNode entry : readIndexEntries()) {
      JsonNode a = entry.get("annotations");
      JsonNode name = a == null ? null : a.get(OciMediaTypes.REF_NAME_ANNOTATION);
      if (name == null || !tag.equals(name.asText())) {
        entries.add(entry);
      }
    }
    entries.add(OciJson.descriptor(tagged));
    writeIndex(entries);
    return tagged;
  }

  /**
   * Copies each layer's blob from {@code source} (unless the layout has it), then
   * {@link #addImage(String, ImageConfig, List, Map) adds the image}: an export in one call.
   */
  public OciDescriptor writeImage(String tag, ImageConfig config, List<ImageLayer> layers,
      ContentProvider source) throws IOException {
    for (ImageLayer layer : layers) {
      copyBlob(layer.blob(), source);
    }
    return addImage(tag, config, layers, Map.of());
  }

  /** Where the blob {@code digest} is (or would be) in the layout. */
  public Path blobPath(Digest digest) {
    return blobs.resolve(digest.algorithm()).resolve(digest.hex());
  }

  private List<JsonNode> readIndexEntries() throws IOException {
    Path index = dir.resolve("index.json");
    ObjectNode node = OciJson.parseObject(Files.readAllBytes(index), index.toString());
    return OciJson.array(node, "manifests", index.toString(), false);
  }

  private void writeIndex(List<JsonNode> manifests) throws IOException {
    ObjectNode index = OciJson.NODES.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", OciMediaTypes.INDEX);
    ArrayNode array = index.putArray("manifests");
    manifests.forEach(array::add);
    replaceFile(dir.resolve("index.json"), OciJson.write(index));
  }

  /** Writes {@code file} as a whole: temporary file, fsync, rename, fsync of the directory. */
  private void replaceFile(Path file, byte[] bytes) throws IOException {
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        out.write(bytes);
        ch.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      fsyncDirectory(file.getParent());
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Renames a complete temporary blob to its name, or drops it if the layout has that blob. */
  private static void publish(Path temp, Path target) throws IOException {
    if (Files.exists(target)) {
      return; // same name, same bytes
    }
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(target.getParent());
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
