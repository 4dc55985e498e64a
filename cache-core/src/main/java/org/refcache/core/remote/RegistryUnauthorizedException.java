package org.refcache.core.remote;

/**
 * The registry (or its token service) refused access: no credentials for it, or wrong ones, or the
 * account may not do this. The message says which credentials were tried and where they came from,
 * never the password.
 */
public class RegistryUnauthorizedException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** See {@link RegistryException#RegistryException(ImageReference, org.refcache.core.digest.Digest, String)}. */
  public RegistryUnauthorizedException(ImageReference image, String problem) {
    super(image, null, problem);
  }
}
