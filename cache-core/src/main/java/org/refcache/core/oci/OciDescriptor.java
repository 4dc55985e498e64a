package org.refcache.core.oci;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.refcache.core.digest.Digest;

/**
 * An OCI content descriptor: what a manifest, an index or a config says of the blob it points at.
 *
 * @param mediaType   the blob's media type
 * @param digest      its digest, also its name under {@code blobs/}
 * @param size        its size in bytes
 * @param annotations annotations (sorted; empty when none)
 * @param urls        where a non-distributable blob can be fetched (empty when none)
 * @param platform    the platform of an image in an index, or null
 */
public record OciDescriptor(String mediaType, Digest digest, long size,
    Map<String, String> annotations, List<String> urls, Platform platform) {

  public OciDescriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + digest);
    }
    annotations = annotations == null || annotations.isEmpty() ? Map.of()
        : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  /** A descriptor with no annotations, URLs or platform. */
  public static OciDescriptor of(String mediaType, Digest digest, long size) {
    return new OciDescriptor(mediaType, digest, size, Map.of(), List.of(), null);
  }

  /** This descriptor with {@code annotations} instead of its own. */
  public OciDescriptor withAnnotations(Map<String, String> annotations) {
    return new OciDescriptor(mediaType, digest, size, annotations, urls, platform);
  }

  /** The tag of an index entry ({@value OciMediaTypes#REF_NAME_ANNOTATION}), or null. */
  public String refName() {
    return annotations.get(OciMediaTypes.REF_NAME_ANNOTATION);
  }

  /**
   * An image's platform, as an index entry gives it.
   *
   * @param architecture GOARCH spelling ({@code amd64}, {@code arm64}, ...)
   * @param os           GOOS spelling ({@code linux})
   * @param variant      e.g. {@code v8}, or null
   */
  public record Platform(String architecture, String os, String variant) {
    public Platform {
      Objects.requireNonNull(architecture, "architecture");
      Objects.requireNonNull(os, "os");
    }

    /** The platform this JVM runs on, in Go's spelling. */
    public static Platform current() {
      String arch = System.getProperty("os.arch");
      String goArch = switch (arch) {
        case "amd64", "x86_64" -> "amd64";
        case "aarch64", "arm64" -> "arm64";
        case "x86", "i386", "i486", "i586", "i686" -> "386";
        case "ppc64le" -> "ppc64le";
        case "s390x" -> "s390x";
        case "riscv64" -> "riscv64";
        default -> arch;
      };
      return new Platform(goArch, "linux", null);
    }
  }
}
