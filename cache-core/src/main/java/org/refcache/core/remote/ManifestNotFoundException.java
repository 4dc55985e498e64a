package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/** The registry has no manifest (or no repository) for the reference. */
public class ManifestNotFoundException extends RegistryNotFoundException {
  private static final long serialVersionUID = 1L;

  /**
   * @param image the reference asked for
   * @param digest the manifest's digest when it was asked for by digest, or null for a tag
   * @param registryMessage what the registry said, or null
   */
  public ManifestNotFoundException(ImageReference image, Digest digest, String registryMessage) {
    super(image, digest, "manifest " + (digest != null ? digest : image.tag()) + " not found in repository "
        + image.name() + (registryMessage != null ? " (registry: " + registryMessage + ")" : ""));
  }
}
