package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/** The registry does not have the blob in the repository. */
public class BlobNotFoundException extends RegistryNotFoundException {
  private static final long serialVersionUID = 1L;

  /**
   * @param image the image the blob belongs to
   * @param digest the missing blob
   * @param registryMessage what the registry said, or null
   */
  public BlobNotFoundException(ImageReference image, Digest digest, String registryMessage) {
    super(image, digest, "blob not found in repository " + image.name()
        + (registryMessage != null ? " (registry: " + registryMessage + ")" : ""));
  }
}
