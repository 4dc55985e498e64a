package org.refcache.core.layer;

import java.util.Map;

/**
 * The media types of layer blobs (OCI image spec and Docker image manifest v2.2) and the
 * compression each one declares.
 */
public final class MediaTypes {
  /** OCI layer, uncompressed tar. */
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  /** OCI layer, gzip. */
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  /** OCI layer, zstd. */
  public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  /** OCI non-distributable layer, uncompressed (deprecated by the spec, still found in images). */
  public static final String OCI_LAYER_NONDISTRIBUTABLE =
      "application/vnd.oci.image.layer.nondistributable.v1.tar";
  /** OCI non-distributable layer, gzip. */
  public static final String OCI_LAYER_NONDISTRIBUTABLE_GZIP =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  /** OCI non-distributable layer, zstd. */
  public static final String OCI_LAYER_NONDISTRIBUTABLE_ZSTD =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
  /** Docker layer, gzip (the usual Docker layer). */
  public static final String DOCKER_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.diff.tar.gzip";
  /** Docker layer, uncompressed. */
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
  /** Docker layer, zstd (written by containerd and BuildKit, not by Docker itself). */
  public static final String DOCKER_LAYER_ZSTD =
      "application/vnd.docker.image.rootfs.diff.tar.zstd";
  /** Docker foreign (non-distributable) layer, gzip. */
  public static final String DOCKER_FOREIGN_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  private static final Map<String, Compression> COMPRESSION = Map.of(
      OCI_LAYER, Compression.UNCOMPRESSED,
      OCI_LAYER_GZIP, Compression.GZIP,
      OCI_LAYER_ZSTD, Compression.ZSTD,
      OCI_LAYER_NONDISTRIBUTABLE, Compression.UNCOMPRESSED,
      OCI_LAYER_NONDISTRIBUTABLE_GZIP, Compression.GZIP,
      OCI_LAYER_NONDISTRIBUTABLE_ZSTD, Compression.ZSTD,
      DOCKER_LAYER_GZIP, Compression.GZIP,
      DOCKER_LAYER, Compression.UNCOMPRESSED,
      DOCKER_LAYER_ZSTD, Compression.ZSTD,
      DOCKER_FOREIGN_LAYER_GZIP, Compression.GZIP);

  private MediaTypes() {
  }

  /** Whether {@code mediaType} is one of the layer media types above (parameters ignored). */
  public static boolean isLayer(String mediaType) {
    return mediaType != null && COMPRESSION.containsKey(essence(mediaType));
  }

  /**
   * The compression a layer media type declares. Parameters ({@code ; ...}) are ignored.
   *
   * @throws IllegalArgumentException if {@code mediaType} is not a layer media type
   */
  public static Compression compressionOf(String mediaType) {
    Compression c = mediaType == null ? null : COMPRESSION.get(essence(mediaType));
    if (c == null) {
      throw new IllegalArgumentException("not a layer media type: \"" + mediaType + "\"");
    }
    return c;
  }

  private static String essence(String mediaType) {
    int semicolon = mediaType.indexOf(';');
    return (semicolon < 0 ? mediaType : mediaType.substring(0, semicolon)).trim();
  }
}
