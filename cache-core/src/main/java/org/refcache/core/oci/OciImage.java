package org.refcache.core.oci;

import java.util.List;
import java.util.Objects;

/**
 * An image as a layout or archive holds it: its manifest, its config and its layers, bottom first,
 * each with its diffID. The manifest and config blobs were verified when it was read; the layer
 * blobs are verified as they are read.
 *
 * @param tag      the tag it was found under, or null
 * @param manifest the manifest's descriptor, or null for a Docker archive (which has no manifest
 *                 blob, only {@code manifest.json})
 * @param config   the config's descriptor
 * @param imageConfig what the config says
 * @param layers   the layers, bottom first
 */
public record OciImage(String tag, OciDescriptor manifest, OciDescriptor config,
    ImageConfig imageConfig, List<ImageLayer> layers) {
  public OciImage {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(imageConfig, "imageConfig");
    layers = List.copyOf(layers);
  }
}
