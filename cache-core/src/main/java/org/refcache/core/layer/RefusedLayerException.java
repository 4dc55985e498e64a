package org.refcache.core.layer;

import java.io.IOException;

/**
 * A layer offered for import is not one the unpacker would apply (not a layer tar, malformed,
 * unsafe, over a {@link LayerLimits limit}); the message names the layer and the reason, the cause is
 * the unpacker's own exception when it had one. Nothing of the layer was stored.
 */
public class RefusedLayerException extends IOException {
  private static final long serialVersionUID = 1L;

  public RefusedLayerException(String message, Throwable cause) {
    super(message, cause);
  }
}
