package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An image manifest (OCI or Docker schema 2): the config and the layers, bottom layer first.
 *
 * @param mediaType {@link ManifestMediaTypes#OCI_MANIFEST} or {@link ManifestMediaTypes#DOCKER_MANIFEST}
 * @param config the image config's descriptor
 * @param layers the layers' descriptors, bottom first
 * @param annotations the manifest's annotations
 */
public record ImageManifest(String mediaType, OciDescriptor config, List<OciDescriptor> layers,
    Map<String, String> annotations) implements Manifest {

  /** Validates and copies. */
  public ImageManifest {
    Objects.requireNonNull(mediaType, "mediaType");
    if (!ManifestMediaTypes.isManifest(mediaType)) {
      throw new IllegalArgumentException("not an image manifest media type: \"" + mediaType + "\"");
    }
    Objects.requireNonNull(config, "config");
    layers = List.copyOf(layers);
    annotations = annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
  }

  /** An OCI manifest of {@code config} and {@code layers}. */
  public static ImageManifest oci(OciDescriptor config, List<OciDescriptor> layers) {
    return new ImageManifest(ManifestMediaTypes.OCI_MANIFEST, config, layers, Map.of());
  }

  static ImageManifest fromJson(JsonNode root, String mediaType) throws MalformedManifestException {
    OciDescriptor config = ManifestJson.descriptor(root.get("config"), "manifest config");
    List<OciDescriptor> layers = new ArrayList<>();
    List<JsonNode> nodes = ManifestJson.array(root, "layers", "manifest", true);
    for (int i = 0; i < nodes.size(); i++) {
      layers.add(ManifestJson.descriptor(nodes.get(i), "manifest layer " + i));
    }
    return new ImageManifest(mediaType, config, layers, ManifestJson.annotations(root, "manifest"));
  }

  @Override
  public byte[] toJson() {
    ObjectNode root = ManifestJson.MAPPER.createObjectNode();
    root.put("schemaVersion", 2);
    root.put("mediaType", mediaType);
    root.set("config", ManifestJson.write(config));
    ArrayNode l = root.putArray("layers");
    layers.forEach(d -> l.add(ManifestJson.write(d)));
    ManifestJson.putAnnotations(root, annotations);
    return ManifestJson.bytes(root);
  }
}
