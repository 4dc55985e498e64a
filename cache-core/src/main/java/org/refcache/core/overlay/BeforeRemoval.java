package org.refcache.core.overlay;

import java.io.IOException;

/**
 * Told the entry {@link WritableOverlayTree#unlink(String, BeforeRemoval)} is about to remove,
 * under the tree's write lock, before anything changes: a caller that keeps the file open after
 * its name goes (an open file unlinked) needs no lookup of its own. It must answer at once,
 * without calling the tree; if it throws, nothing is removed.
 */
@FunctionalInterface
public interface BeforeRemoval {
  void removing(Node node) throws IOException;
}
