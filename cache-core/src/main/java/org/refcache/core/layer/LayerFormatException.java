package org.refcache.core.layer;

import java.io.IOException;

/**
 * A layer blob is not what it claims to be: an unknown media type, compression that does not match
 * the bytes, or a tar entry the unpacker cannot represent.
 */
public class LayerFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public LayerFormatException(String message) {
    super(message);
  }

  public LayerFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
