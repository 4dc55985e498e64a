package org.refcache.core.remote;

import java.util.Objects;
import org.refcache.core.digest.Digest;

/**
 * A manifest or index as the registry served it, verified: its bytes hash to {@code digest}.
 *
 * @param reference the reference it was fetched by, with its digest
 * @param digest the digest of the bytes
 * @param mediaType the media type (the body's, else the Content-Type's)
 * @param bytes the bytes; {@link #bytes()} returns a copy
 */
public record FetchedManifest(ImageReference reference, Digest digest, String mediaType, byte[] bytes) {
  /** Copies the bytes. */
  public FetchedManifest {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(digest, "digest");
    Objects.requireNonNull(mediaType, "mediaType");
    bytes = bytes.clone();
  }

  /** A copy of the bytes. */
  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The size in bytes. */
  public int size() {
    return bytes.length;
  }

  /** A descriptor of this manifest. */
  public OciDescriptor descriptor() {
    return OciDescriptor.of(mediaType, digest, bytes.length);
  }

  /**
   * The parsed manifest.
   *
   * @throws UnsupportedManifestException naming the image and digest when it cannot be read
   */
  public Manifest parse() throws UnsupportedManifestException {
    try {
      return Manifest.parse(bytes, mediaType);
    } catch (MalformedManifestException e) {
      UnsupportedManifestException u = new UnsupportedManifestException(reference, digest, e.getMessage());
      u.initCause(e);
      throw u;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FetchedManifest f && reference.equals(f.reference) && digest.equals(f.digest)
        && mediaType.equals(f.mediaType);
  }

  @Override
  public int hashCode() {
    return Objects.hash(reference, digest, mediaType);
  }

  @Override
  public String toString() {
    return "FetchedManifest[" + reference + ", " + mediaType + ", " + bytes.length + " bytes]";
  }
}
