package org.refcache.core.oci;

import java.io.IOException;

/**
 * An image layout or archive is not what the OCI image spec (or Docker's {@code save} format)
 * says it must be: a missing or malformed file, a field of the wrong type, a blob that is not what
 * its descriptor says. The message names the file and what is wrong with it.
 */
public class OciFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public OciFormatException(String message) {
    super(message);
  }

  public OciFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
