package org.refcache.core.remote;

import java.io.IOException;
import org.refcache.core.digest.Digest;

/**
 * A registry operation failed. The message starts with the image reference and, when the failure is
 * about one manifest or blob, its digest, then says what failed and why.
 *
 * <p>Subclasses name the failures a caller acts on: {@link RegistryNotFoundException} (nothing at
 * that name or digest), {@link RegistryUnauthorizedException} (credentials missing or refused),
 * {@link RemoteDigestMismatchException} and {@link RemoteSizeMismatchException} (content that does
 * not verify; nothing of it was kept). This class itself is everything else: a registry that stays
 * unreachable or keeps answering 5xx after the retries, a malformed answer, a refused upload.
 */
public class RegistryException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient ImageReference image;
  private final transient Digest digest;
  private final boolean transientFailure;

  /**
   * @param image the image the operation was for
   * @param digest the manifest or blob the failure is about, or null
   * @param problem what failed and why, without the image (it is prefixed)
   */
  public RegistryException(ImageReference image, Digest digest, String problem) {
    this(image, digest, problem, null, false);
  }

  /** As {@link #RegistryException(ImageReference, Digest, String)}, with a cause. */
  public RegistryException(ImageReference image, Digest digest, String problem, Throwable cause) {
    this(image, digest, problem, cause, false);
  }

  RegistryException(ImageReference image, Digest digest, String problem, Throwable cause,
      boolean transientFailure) {
    super(prefix(image, digest) + problem);
    if (cause != null) {
      initCause(cause); // not through super(message, null), which would forbid a later initCause
    }
    this.image = image;
    this.digest = digest;
    this.transientFailure = transientFailure;
  }

  private static String prefix(ImageReference image, Digest digest) {
    StringBuilder sb = new StringBuilder();
    if (image != null) {
      sb.append(image);
    }
    if (digest != null && (image == null || !digest.equals(image.digest()))) {
      sb.append(sb.length() > 0 ? " " : "").append(digest);
    }
    return sb.length() > 0 ? sb.append(": ").toString() : "";
  }

  /** The image the operation was for, or null. */
  public ImageReference image() {
    return image;
  }

  /** The manifest or blob the failure is about, or null. */
  public Digest digest() {
    return digest;
  }

  /**
   * Whether trying again later may succeed (the registry was unreachable or answered 5xx or 429):
   * the failure said nothing about the image itself.
   */
  public boolean isTransient() {
    return transientFailure;
  }
}
