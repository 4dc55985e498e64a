package org.refcache.core.oci;

import java.util.Set;

/** The media types and file names of OCI image layouts, and the Docker types read alongside. */
public final class OciMediaTypes {
  /** An OCI image index ({@code index.json} is one). */
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";
  /** An OCI image manifest. */
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  /** An OCI image configuration. */
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  /** A Docker image manifest (schema 2), which {@code skopeo} may keep in a layout. */
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  /** A Docker manifest list (several platforms). */
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  /** A Docker image configuration. */
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

  /** The annotation of an index entry that names it (the tag of {@code oci:DIR:TAG}). */
  public static final String REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
  /** The annotation for when an image was created (RFC 3339). */
  public static final String CREATED_ANNOTATION = "org.opencontainers.image.created";

  /** The version this package writes in {@code oci-layout} and accepts there. */
  public static final String LAYOUT_VERSION = "1.0.0";

  static final Set<String> MANIFESTS = Set.of(MANIFEST, DOCKER_MANIFEST);
  static final Set<String> INDEXES = Set.of(INDEX, DOCKER_MANIFEST_LIST);

  private OciMediaTypes() {
  }
}
