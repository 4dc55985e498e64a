package org.refcache.core.remote;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a pulled layer blob comes from, as a record stores it ({@code DescHandler.ref}): the image by
 * its manifest digest, and whether its registry is reached over plain HTTP although not loopback
 * ({@code --insecure}). Stored as text so that a restart can re-bind the blob's provider
 * (DESIGN decision 1): {@code registry:<image>} or {@code registry+insecure:<image>}.
 *
 * @param image the image, with its manifest digest
 * @param insecure whether its registry was named with {@code --insecure}
 */
public record RegistrySource(ImageReference image, boolean insecure) {
  private static final String PREFIX = "registry:";
  private static final String INSECURE_PREFIX = "registry+insecure:";

  public RegistrySource {
    Objects.requireNonNull(image, "image");
  }

  /**
   * Reads what {@link #toString()} wrote; empty for anything else (a blob of another source, or
   * none), and for a stored reference that no longer parses.
   */
  public static Optional<RegistrySource> parse(String stored) {
    if (stored == null) {
      return Optional.empty();
    }
    boolean insecure = stored.startsWith(INSECURE_PREFIX);
    if (!insecure && !stored.startsWith(PREFIX)) {
      return Optional.empty();
    }
    try {
      return Optional.of(new RegistrySource(
          ImageReference.parse(stored.substring((insecure ? INSECURE_PREFIX : PREFIX).length())), insecure));
    } catch (InvalidReferenceException e) {
      return Optional.empty();
    }
  }

  /** The repository's name in its registry, for a cross-repository mount. */
  public String repository() {
    return image.repository();
  }

  @Override
  public String toString() {
    return (insecure ? INSECURE_PREFIX : PREFIX) + image;
  }
}
