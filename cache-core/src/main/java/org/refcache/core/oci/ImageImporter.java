package org.refcache.core.oci;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.content.ContentStore;
import org.refcache.core.layer.LayerWriter;

/**
 * Copies an image's layer blobs into the content store, each verified by the store's ingest
 * (size and digest) and labelled with its diffID ({@value LayerWriter#UNCOMPRESSED_LABEL}), as
 * every layer blob there must be. Blobs the store has are not copied again. The layers are not
 * unpacked: that happens on first access, against the diffID.
 */
public final class ImageImporter {
  private final ContentStore store;

  public ImageImporter(ContentStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Stores the layers of {@code image} read from {@code source}.
   *
   * @return the layers as stored, bottom first (the image's own)
   * @throws BlobMismatchException if a blob is not what its descriptor says (it is not stored)
   */
  public List<ImageLayer> storeLayers(OciImage image, BlobSource source) throws IOException {
    List<ImageLayer> stored = new ArrayList<>();
    for (ImageLayer layer : image.layers()) {
      OciDescriptor blob = layer.blob();
      Map<String, String> labels = Map.of(LayerWriter.UNCOMPRESSED_LABEL,
          layer.diffId().toString());
      if (store.info(blob.digest()).isPresent()) {
        store.updateLabels(blob.digest(), labels);
      } else {
        try (InputStream in = source.openBlob(blob)) {
          store.ingest("import-" + blob.digest().hex(), in, blob.size(), blob.digest(), labels);
        }
      }
      stored.add(layer);
    }
    return stored;
  }
}
