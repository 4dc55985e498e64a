package org.refcache.core.remote;

import java.util.List;

/**
 * Media types of manifests, indexes and image configs (OCI image spec v1 and Docker image manifest
 * v2 schema 2). Layer media types are in {@link org.refcache.core.layer.MediaTypes}.
 */
public final class ManifestMediaTypes {
  /** OCI image manifest. */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** OCI image index. */
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  /** Docker image manifest, schema 2. */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** Docker manifest list (the Docker form of an index). */
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  /** Docker schema 1 manifest, unsigned (not read by this client). */
  public static final String DOCKER_MANIFEST_V1 = "application/vnd.docker.distribution.manifest.v1+json";
  /** Docker schema 1 manifest, signed (not read by this client). */
  public static final String DOCKER_MANIFEST_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
  /** OCI image config. */
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  /** Docker image config. */
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

  /** What a manifest request accepts, in order of preference. */
  static final List<String> ACCEPTED = List.of(OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST);

  private ManifestMediaTypes() {
  }

  /** Whether {@code mediaType} is an image manifest (OCI or Docker schema 2). */
  public static boolean isManifest(String mediaType) {
    String m = essence(mediaType);
    return OCI_MANIFEST.equals(m) || DOCKER_MANIFEST.equals(m);
  }

  /** Whether {@code mediaType} is an index (OCI index or Docker manifest list). */
  public static boolean isIndex(String mediaType) {
    String m = essence(mediaType);
    return OCI_INDEX.equals(m) || DOCKER_MANIFEST_LIST.equals(m);
  }

  /** {@code mediaType} without parameters ({@code ; charset=...}) and surrounding blanks; null stays null. */
  static String essence(String mediaType) {
    if (mediaType == null) {
      return null;
    }
    int semicolon = mediaType.indexOf(';');
    return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim();
  }
}
