package org.refcache.core.layer;

import java.io.IOException;
import org.refcache.posix.Printable;

/**
 * A tar entry that would write outside its layer (an absolute name, a {@code ..} component, a path
 * through a symlink, a hard link to a path outside). The message names the entry.
 */
public class UnsafeLayerEntryException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String entryName;

  /**
   * @param entryName the entry's name as the tar spells it
   * @param reason    why it is refused
   */
  public UnsafeLayerEntryException(String entryName, String reason) {
    super("unsafe layer entry \"" + Printable.name(entryName) + "\": " + Printable.line(reason));
    this.entryName = entryName;
  }

  /** The entry's name as the tar spells it. */
  public String entryName() {
    return entryName;
  }
}
