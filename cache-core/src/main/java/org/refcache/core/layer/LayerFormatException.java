package org.refcache.core.layer;

import java.io.IOException;
import org.refcache.posix.Printable;

/**
 * A layer blob is not what it claims to be: an unknown media type, compression that does not match
 * the bytes, or a tar entry the unpacker cannot represent.
 */
public class LayerFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** @param message why; made one printable line, as it may quote bytes of the layer */
  public LayerFormatException(String message) {
    super(Printable.line(message));
  }

  public LayerFormatException(String message, Throwable cause) {
    super(Printable.line(message), cause);
  }
}
