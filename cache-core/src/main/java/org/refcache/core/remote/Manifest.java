package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;

/** A manifest as a registry serves it: an image manifest or an index of manifests. */
public sealed interface Manifest permits ImageManifest, ImageIndex {
  /** The manifest's media type (from its body, else from the registry's Content-Type). */
  String mediaType();

  /** The JSON of this manifest as this client writes it. */
  byte[] toJson();

  /**
   * Parses a manifest or index (OCI or Docker schema 2). The body's {@code mediaType} decides the
   * kind; without one, {@code contentType}; without either, the fields present.
   *
   * @param contentType the Content-Type the registry sent, or null
   * @throws MalformedManifestException when it is not JSON, a field is missing or wrong, or it is a
   *     Docker schema 1 manifest or another kind this client does not read
   */
  static Manifest parse(byte[] json, String contentType) throws MalformedManifestException {
    JsonNode root = ManifestJson.readObject(json, "manifest");
    JsonNode version = root.get("schemaVersion");
    if (version != null && version.isInt() && version.intValue() == 1) {
      throw new MalformedManifestException("Docker schema 1 manifests are not supported (push the image "
          + "again with a current tool to get a schema 2 or OCI manifest)");
    }
    String mediaType = ManifestJson.text(root, "mediaType", "manifest", false);
    if (mediaType == null) {
      mediaType = ManifestMediaTypes.essence(contentType);
    }
    if (mediaType == null || mediaType.isEmpty() || mediaType.equals("application/json")) {
      mediaType = root.has("manifests") ? ManifestMediaTypes.OCI_INDEX : ManifestMediaTypes.OCI_MANIFEST;
    }
    if (version == null || !version.isInt() || version.intValue() != 2) {
      throw new MalformedManifestException("manifest has no \"schemaVersion\": 2");
    }
    if (ManifestMediaTypes.isIndex(mediaType)) {
      return ImageIndex.fromJson(root, ManifestMediaTypes.essence(mediaType));
    }
    if (ManifestMediaTypes.isManifest(mediaType)) {
      return ImageManifest.fromJson(root, ManifestMediaTypes.essence(mediaType));
    }
    String m = ManifestMediaTypes.essence(mediaType);
    if (m.equals(ManifestMediaTypes.DOCKER_MANIFEST_V1) || m.equals(ManifestMediaTypes.DOCKER_MANIFEST_V1_SIGNED)) {
      throw new MalformedManifestException("Docker schema 1 manifests are not supported");
    }
    throw new MalformedManifestException("unsupported manifest media type \"" + mediaType + "\"");
  }
}
