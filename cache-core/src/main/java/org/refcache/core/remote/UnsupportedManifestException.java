package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/**
 * The registry answered with a manifest this client does not read (Docker schema 1, an unknown media
 * type) or one that is malformed.
 */
public class UnsupportedManifestException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** See {@link RegistryException#RegistryException(ImageReference, Digest, String)}. */
  public UnsupportedManifestException(ImageReference image, Digest digest, String problem) {
    super(image, digest, problem);
  }
}
