package org.refcache.core.remote;

import org.refcache.core.digest.Digest;

/** The registry has nothing under the requested name, tag or digest. */
public class RegistryNotFoundException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** See {@link RegistryException#RegistryException(ImageReference, Digest, String)}. */
  public RegistryNotFoundException(ImageReference image, Digest digest, String problem) {
    super(image, digest, problem);
  }
}
