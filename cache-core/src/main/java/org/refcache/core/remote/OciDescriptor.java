package org.refcache.core.remote;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.Collections;
import org.refcache.core.digest.Digest;

/**
 * An OCI content descriptor: what a manifest says about a blob or a manifest it points to.
 *
 * @param mediaType the content's media type
 * @param digest the content's digest
 * @param size the content's size in bytes
 * @param annotations the descriptor's annotations, sorted, unmodifiable
 * @param urls where else the blob may be fetched from (foreign layers); not used by this client
 * @param platform for an entry of an index, the platform of the manifest it points to, or null
 */
public record OciDescriptor(String mediaType, Digest digest, long size, Map<String, String> annotations,
    List<String> urls, Platform platform) {

  /** Validates and copies. */
  public OciDescriptor {
    Objects.requireNonNull(mediaType, "mediaType");
    Objects.requireNonNull(digest, "digest");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + digest);
    }
    annotations = annotations == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(annotations));
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  /** A descriptor with only media type, digest and size. */
  public static OciDescriptor of(String mediaType, Digest digest, long size) {
    return new OciDescriptor(mediaType, digest, size, Map.of(), List.of(), null);
  }

  /** A descriptor of {@code content} under {@code mediaType} (sha256). */
  public static OciDescriptor of(String mediaType, byte[] content) {
    return of(mediaType, Digest.sha256(content), content.length);
  }

  /** This descriptor with the platform of an index entry. */
  public OciDescriptor withPlatform(Platform p) {
    return new OciDescriptor(mediaType, digest, size, annotations, urls, p);
  }

  /** This descriptor with {@code extra} annotations added (replacing equal keys). */
  public OciDescriptor withAnnotations(Map<String, String> extra) {
    Map<String, String> all = new TreeMap<>(annotations);
    all.putAll(extra);
    return new OciDescriptor(mediaType, digest, size, all, urls, platform);
  }
}
