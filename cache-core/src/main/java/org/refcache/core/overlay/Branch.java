package org.refcache.core.overlay;

import java.nio.file.Path;

/**
 * One layer's directory that contributes to a merged directory.
 *
 * @param layerIndex as in {@link Node#layerIndex()}
 * @param real       the directory in that layer
 */
record Branch(int layerIndex, Path real) {
}
