package org.refcache.core.remote;

import java.util.List;
import java.util.stream.Collectors;
import org.refcache.core.digest.Digest;

/** An image index has no manifest for the wanted platform. The message lists the platforms it has. */
public class PlatformNotFoundException extends RegistryNotFoundException {
  private static final long serialVersionUID = 1L;

  private final transient Platform wanted;
  private final transient List<Platform> available;

  /**
   * @param image the reference that named the index
   * @param indexDigest the index's digest
   * @param wanted the platform asked for
   * @param available the platforms the index lists
   */
  public PlatformNotFoundException(ImageReference image, Digest indexDigest, Platform wanted,
      List<Platform> available) {
    super(image, indexDigest, "no manifest for platform " + wanted + " in the index; it has "
        + (available.isEmpty() ? "none with a platform"
            : available.stream().map(Platform::toString).collect(Collectors.joining(", "))));
    this.wanted = wanted;
    this.available = List.copyOf(available);
  }

  /** The platform asked for. */
  public Platform wanted() {
    return wanted;
  }

  /** The platforms the index lists. */
  public List<Platform> available() {
    return available;
  }
}
