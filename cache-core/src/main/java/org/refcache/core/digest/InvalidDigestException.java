package org.refcache.core.digest;

/**
 * A string or algorithm that is not a canonical, supported digest. The message names the rejected
 * input.
 */
public class InvalidDigestException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the rejected input. */
  public InvalidDigestException(String message) {
    super(message);
  }
}
