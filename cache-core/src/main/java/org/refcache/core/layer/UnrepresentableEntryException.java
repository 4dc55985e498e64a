package org.refcache.core.layer;

import java.io.IOException;

/**
 * A file that an OCI layer tar cannot carry faithfully: a name beginning with {@code .wh.}, which
 * every reader of the layer would take for a whiteout (or, for {@code .wh..wh.*}, skip), so writing
 * it would turn a file into a deletion. The layer is not written.
 */
public class UnrepresentableEntryException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String path;

  /**
   * @param path   the file's path in its tree (a byte string)
   * @param reason why it cannot be written
   */
  public UnrepresentableEntryException(String path, String reason) {
    super("\"" + path + "\": " + reason);
    this.path = path;
  }

  /** The path of the file in its tree. */
  public String path() {
    return path;
  }
}
