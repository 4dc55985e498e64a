package org.refcache.core.layer;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.refcache.core.content.ContentStore;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a {@link LayerChanges change set} as a layer blob in one pass: tar, digest (the diffID),
 * compress, and into the content store's ingest, which digests and counts the blob as it goes and
 * verifies it at commit. Nothing is staged: no tar on disk, no tree copied.
 *
 * <p>The layer is reproducible: the same change set gives the same tar (see {@link TarWriter} and
 * {@link LayerChanges} for the rules), the same tar at the same compression and level the same
 * blob (gzip without name or mtime; zstd single-threaded). The committed blob carries the label
 * {@value #UNCOMPRESSED_LABEL} with its diffID, as every layer blob in the store must; writing a
 * blob that is already stored just confirms it.
 *
 * <p>Thread-safe (it keeps nothing between writes); writes may run in parallel. Reading the trees
 * needs whatever rights their files need (root, for a layer directory).
 */
public final class LayerWriter {
  /**
   * The content label holding a layer blob's diffID (containerd's; the same key as the
   * descriptor annotation {@code org.refcache.core.cache.Descriptor.UNCOMPRESSED_ANNOTATION}).
   */
  public static final String UNCOMPRESSED_LABEL = "containerd.io/uncompressed";

  private static final Logger LOG = LoggerFactory.getLogger(LayerWriter.class);
  private static final int BUFFER = 128 * 1024;

  private final ContentStore store;

  /** A writer into {@code store}. */
  public LayerWriter(ContentStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /**
   * A layer blob as written.
   *
   * @param blob             digest of the blob as stored (compressed)
   * @param size             its size in bytes
   * @param diffId           digest of the uncompressed tar
   * @param uncompressedSize size of the tar
   * @param compression      how the blob is compressed
   * @param entries          tar entries (whiteouts and opaque markers included, extended
   *                         headers not), or -1 when not counted (a converted blob)
   */
  public record WrittenLayer(Digest blob, long size, Digest diffId, long uncompressedSize,
      Compression compression, long entries) {
    public WrittenLayer {
      Objects.requireNonNull(blob, "blob");
      Objects.requireNonNull(diffId, "diffId");
      Objects.requireNonNull(compression, "compression");
    }

    /** The OCI media type of the blob. */
    public String mediaType() {
      return compression.ociMediaType();
    }
  }

  /** {@link #write(LayerChanges, Compression, int)} at the compressor's default level. */
  public WrittenLayer write(LayerChanges changes, Compression compression) throws IOException {
    return write(changes, compression, Compression.DEFAULT_LEVEL);
  }

  /**
   * Writes {@code changes} as a blob into the content store and commits it.
   *
   * @param level see {@link Compression#compress(OutputStream, int)}
   * @throws UnrepresentableEntryException if a file cannot be carried by a layer (nothing is
   *     stored)
   * @throws LayerSourceChangedException if a file changed while it was read (nothing is stored)
   */
  public WrittenLayer write(LayerChanges changes, Compression compression, int level)
      throws IOException {
    Objects.requireNonNull(changes, "changes");
    Objects.requireNonNull(compression, "compression");
    try (ContentWriter ingest = store.writer("layer-" + UUID.randomUUID(), -1, null)) {
      // An uncompressed blob is its tar: its diffID is the blob digest the ingest computes.
      boolean hashTar = compression != Compression.UNCOMPRESSED;
      Tally tar = writeTar(changes, compression, level, new NotClosingOutputStream(ingest.stream()), hashTar);
      long size = ingest.written();
      Digest blob;
      Digest diffId;
      if (hashTar) {
        diffId = tar.diffId();
        blob = ingest.commit(Map.of(UNCOMPRESSED_LABEL, diffId.toString()));
      } else {
        blob = ingest.commit(Map.of());
        diffId = blob;
        store.updateLabels(blob, Map.of(UNCOMPRESSED_LABEL, diffId.toString()));
      }
      WrittenLayer written = new WrittenLayer(blob, size, diffId, tar.bytes(), compression,
          tar.entries());
      LOG.debug("wrote layer {} ({} {} bytes, diffID {}, {} entries, {} bytes of tar)", blob,
          compression, size, diffId, tar.entries(), tar.bytes());
      return written;
    }
  }

  /**
   * Writes {@code changes} as a blob to {@code out} (not closed), computing both digests; for a
   * layer that is not to be stored, or stored elsewhere.
   */
  public static WrittenLayer write(LayerChanges changes, Compression compression, int level,
      OutputStream out) throws IOException {
    Objects.requireNonNull(changes, "changes");
    Objects.requireNonNull(compression, "compression");
    DigestingOutputStream blob = new DigestingOutputStream(new NotClosingOutputStream(out), Digester.sha256());
    Tally tar = writeTar(changes, compression, level, blob, true);
    return new WrittenLayer(blob.digest(), blob.count(), tar.diffId(), tar.bytes(), compression,
        tar.entries());
  }

  /** What the tar came to. */
  private record Tally(Digest diffId, long bytes, long entries) {
  }

  /**
   * tar -> (digest) -> compress -> buffer -> {@code sink}; finishes the compression and closes
   * {@code sink}, which must not close what it writes to.
   */
  private static Tally writeTar(LayerChanges changes, Compression compression, int level,
      OutputStream sink, boolean hashTar) throws IOException {
    OutputStream compressed = compression.compress(new BufferedOutputStream(sink, BUFFER), level);
    CountingOutputStream counted;
    DigestingOutputStream digested = null;
    if (hashTar) {
      digested = new DigestingOutputStream(compressed, Digester.sha256());
      counted = new CountingOutputStream(digested);
    } else {
      counted = new CountingOutputStream(compressed);
    }
    EntryWriter entries;
    try (OutputStream top = counted) {
      entries = new EntryWriter(new TarWriter(top));
      changes.writeTo(entries);
      entries.finish();
    }
    return new Tally(digested == null ? null : digested.digest(), counted.count,
        entries.entries());
  }

  /** Counts bytes on their way through. */
  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
