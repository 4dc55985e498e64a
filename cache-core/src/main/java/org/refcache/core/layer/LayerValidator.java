package org.refcache.core.layer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Checks a layer blob completely, in one streaming pass, without writing anything: it refuses
 * exactly what {@link LayerUnpacker} would refuse (unsafe names, bad links, malformed or truncated
 * data, a layer over its {@link LayerLimits}), because it runs the same reader and the same
 * {@link LayerApplier} decisions with nowhere to write them. An import runs it on the bytes it
 * stores, so a layer it accepts fails to unpack later only for reasons outside the layer (a full
 * disk, lower limits, a filesystem that refuses an xattr).
 */
public final class LayerValidator {
  private LayerValidator() {
  }

  /**
   * Reads {@code blob} (not closed) to its end and checks it as a layer.
   *
   * @param layer           what the blob is: media type, and size for the expansion ratio
   * @param digestAlgorithm the algorithm of the diffID to compute, or null not to compute one
   * @return the diffID (null when not computed), the uncompressed size and the number of entries
   * @throws LayerFormatException if the layer is malformed, truncated or over the limits
   * @throws UnsafeLayerEntryException if an entry would write outside the layer
   * @throws java.io.IOException as it is, if reading {@code blob} fails
   */
  public static UnpackResult validate(InputStream blob, LayerBlob layer, LayerLimits limits,
      String digestAlgorithm) throws IOException {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(limits, "limits");
    try (LayerStream stream = LayerStream.open(blob, layer, limits, digestAlgorithm)) {
      LayerApplier applier = LayerApplier.checking();
      return stream.readEntries(applier::apply);
    }
  }
}
