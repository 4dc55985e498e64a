package org.refcache.core.remote;

import java.util.Objects;
import org.refcache.core.digest.Digest;

/**
 * An image reference resolved to one image manifest, verified, for one platform.
 *
 * @param reference the reference as given (its tag kept), with the digest of the image manifest
 * @param manifestContent the image manifest's bytes as served
 * @param manifest the parsed image manifest
 * @param index the index the manifest was selected from, or null when the reference named a manifest
 * @param platform the platform the manifest was selected for, or null when there was no index
 */
public record ResolvedImage(ImageReference reference, FetchedManifest manifestContent, ImageManifest manifest,
    FetchedManifest index, Platform platform) {

  /** Requires reference and manifest. */
  public ResolvedImage {
    Objects.requireNonNull(reference, "reference");
    Objects.requireNonNull(manifestContent, "manifestContent");
    Objects.requireNonNull(manifest, "manifest");
  }

  /** The image manifest's digest. */
  public Digest digest() {
    return manifestContent.digest();
  }
}
