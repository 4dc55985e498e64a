package org.refcache.core.layer;

import java.io.IOException;

/**
 * A file changed while a layer was being written from it (its size no longer matched what was
 * read of it): the tar would hold neither the old nor the new file, so the layer is abandoned.
 */
public class LayerSourceChangedException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * @param file   the file, as the message should name it
   * @param reason what was seen
   */
  public LayerSourceChangedException(String file, String reason) {
    super(file + ": " + reason);
  }
}
