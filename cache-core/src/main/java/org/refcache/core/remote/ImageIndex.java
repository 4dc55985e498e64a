package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An image index (OCI) or manifest list (Docker): manifests of one image for several platforms.
 *
 * @param mediaType {@link ManifestMediaTypes#OCI_INDEX} or {@link ManifestMediaTypes#DOCKER_MANIFEST_LIST}
 * @param manifests the entries, each with its platform when the index gives one
 * @param annotations the index's annotations
 */
public record ImageIndex(String mediaType, List<OciDescriptor> manifests, Map<String, String> annotations)
    implements Manifest {

  /** Validates and copies. */
  public ImageIndex {
    Objects.requireNonNull(mediaType, "mediaType");
    if (!ManifestMediaTypes.isIndex(mediaType)) {
      throw new IllegalArgumentException("not an index media type: \"" + mediaType + "\"");
    }
    manifests = List.copyOf(manifests);
    annotations = annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  /** An OCI index of {@code manifests}. */
  public static ImageIndex oci(List<OciDescriptor> manifests) {
    return new ImageIndex(ManifestMediaTypes.OCI_INDEX, manifests, Map.of());
  }

  static ImageIndex fromJson(JsonNode root, String mediaType) throws MalformedManifestException {
    List<OciDescriptor> entries = new ArrayList<>();
    List<JsonNode> nodes = ManifestJson.array(root, "manifests", "index", true);
    for (int i = 0; i < nodes.size(); i++) {
      entries.add(ManifestJson.descriptor(nodes.get(i), "index entry " + i));
    }
    return new ImageIndex(mediaType, entries, ManifestJson.annotations(root, "index"));
  }

  /**
   * The first image manifest entry whose platform serves {@code wanted} (entries that are not image
   * manifests, such as nested indexes or attestations without a platform, are skipped).
   */
  public Optional<OciDescriptor> select(Platform wanted) {
    return manifests.stream()
        .filter(d -> d.platform() != null && ManifestMediaTypes.isManifest(d.mediaType()))
        .filter(d -> wanted.accepts(d.platform()))
        .findFirst();
  }

  /** The platforms the entries name, in order. */
  public List<Platform> platforms() {
    return manifests.stream().map(OciDescriptor::platform).filter(Objects::nonNull).toList();
  }

  @Override
  public byte[] toJson() {
    ObjectNode root = ManifestJson.MAPPER.createObjectNode();
    root.put("schemaVersion", 2);
    root.put("mediaType", mediaType);
    ArrayNode m = root.putArray("manifests");
    manifests.forEach(d -> m.add(ManifestJson.write(d)));
    ManifestJson.putAnnotations(root, annotations);
    return ManifestJson.bytes(root);
  }
}
