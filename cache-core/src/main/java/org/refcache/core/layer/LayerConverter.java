package org.refcache.core.layer;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.refcache.core.content.ContentStore;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingOutputStream;

/**
 * Makes a compression variant of a stored layer blob: the same tar (so the same diffID),
 * compressed another way, stored beside it with the diffID label. The tar is copied byte for byte,
 * never re-read as entries, so the variant unpacks to exactly what the original does; its diffID
 * is computed on the way and must be the original's.
 *
 * <p>Linking the variant to its original (BuildKit's {@code linkBlob}) is the cache manager's.
 */
public final class LayerConverter {
  private static final int BUFFER = 128 * 1024;

  private final ContentStore store;

  public LayerConverter(ContentStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * Stores {@code blob} (of media type {@code mediaType}) compressed as {@code target}.
   *
   * @param diffId the blob's diffID if known (the variant is checked against it), or null
   * @param level  see {@link Compression#compress(OutputStream, int)}
   * @throws DiffIdMismatchException if the blob's tar is not {@code diffId} (nothing is stored)
   */
  public LayerWriter.WrittenLayer convert(Digest blob, String mediaType, Digest diffId,
      Compression target, int level) throws IOException {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(target, "target");
    Compression source = MediaTypes.compressionOf(mediaType);
    try (InputStream tar = source.decompress(store.open(blob));
         ContentWriter ingest = store.writer("convert-" + UUID.randomUUID(), -1, null)) {
      DigestingOutputStream hashed;
      OutputStream compressed = target.compress(
          new BufferedOutputStream(new NotClosingOutputStream(ingest.stream()), BUFFER), level);
      try (OutputStream out = compressed) {
        hashed = new DigestingOutputStream(out, Digester.of(diffId == null ? Digest.SHA256
            : diffId.algorithm()));
        tar.transferTo(hashed);
      }
      Digest actual = hashed.digest();
      if (diffId != null && !diffId.equals(actual)) {
        throw new DiffIdMismatchException(diffId, actual);
      }
      long size = ingest.written();
      Digest variant = ingest.commit(Map.of(LayerWriter.UNCOMPRESSED_LABEL, actual.toString()));
      return new LayerWriter.WrittenLayer(variant, size, actual, hashed.count(), target, -1);
    }
  }
}
