package org.refcache.core.layer;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.commons.io.input.CloseShieldInputStream;
import org.apache.commons.io.input.TeeInputStream;
import org.refcache.core.content.ContentIngester;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.digest.Digest;

/**
 * Ingests a layer blob (plain, gzip or zstd) into the content store, computing what a layer
 * descriptor needs in the same pass: the bytes read are teed into a content writer (which digests
 * them as the blob) while the same stream is decompressed, digested as the diffID and checked entry
 * by entry as the unpacker would apply it ({@link LayerValidator}). Reading twice would double the
 * disk reads of large layers; the tee costs only the decompression, which a second pass would pay as
 * well.
 *
 * <p>The blob is recorded with its diffID label ({@value #DIFF_ID_LABEL}) in the commit's one LMDB
 * write: an uncompressed layer's diffID is its blob digest, which the writer gives before the commit
 * ({@link ContentWriter#digest()}), and is not hashed a second time.
 *
 * <p>A layer the unpacker would refuse (an unsafe or malformed entry, truncated data, over the
 * {@link LayerLimits}) is refused here with a {@link RefusedLayerException}, having read only as far as
 * the reason: the ingest is abandoned, which removes its file, so nothing of it stays in the content
 * store. Nothing is unpacked: a ref made from an accepted layer stays lazy until its tree is first
 * used.
 */
public final class LayerImporter {
  /** The content label holding a layer blob's diffID: containerd's, the descriptor annotation's key. */
  public static final String DIFF_ID_LABEL = "containerd.io/uncompressed";

  private static final int BUFFER = 128 * 1024;
  private static final int TAR_BLOCK = 512;
  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

  /** Progress of one import. */
  @FunctionalInterface
  public interface Progress {
    /** {@code bytes} of the blob's {@code total} are stored ({@code total} is -1 when unknown). */
    void update(long bytes, long total);
  }

  /**
   * A stored layer blob.
   *
   * @param blob the digest of the blob as stored
   * @param size its size in bytes
   * @param diffId the digest of the uncompressed tar
   * @param mediaType the OCI layer media type matching the compression found
   */
  public record Imported(Digest blob, long size, Digest diffId, String mediaType) {
  }

  private final ContentIngester content;
  private final LayerLimits limits;

  /** An importer into {@code content} that refuses layers over {@code limits}. */
  public LayerImporter(ContentIngester content, LayerLimits limits) {
    this.content = Objects.requireNonNull(content, "content");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Checks and stores the layer blob read from {@code in} (not closed here) and returns its descriptor
   * data. The media type comes from the compression found in the first bytes.
   *
   * @param size the blob's size if known, or -1; a stream of another length is refused by the
   *     content store
   * @param name what messages call the layer (the file it is read from)
   * @throws RefusedLayerException when it is not a layer tar or a layer the unpacker would refuse,
   *     with the reason
   * @throws IOException when reading it fails (the message names {@code name}) or storing it does
   */
  public Imported ingest(InputStream in, long size, String name, Progress progress) throws IOException {
    try (ContentWriter writer = content.writer("import-" + UUID.randomUUID(), size, null)) {
      // A read error's message names nothing: say what could not be read.
      InputStream reading = new ReportingInputStream(in,
          e -> new IOException("cannot read " + name + ": " + e.getMessage(), e));
      BufferedInputStream tee = new BufferedInputStream(new Reporting(
          new TeeInputStream(reading, new Storing(writer.stream(), name), false),
          writer, size, progress), BUFFER);
      byte[] head = new byte[Compression.MAGIC_LENGTH];
      tee.mark(head.length);
      int headLength = tee.readNBytes(head, 0, head.length);
      tee.reset();
      Compression compression = Compression.sniff(head, headLength);

      // An uncompressed layer's diffID is its blob digest, which the writer computes anyway: hashing
      // the same bytes twice would double the cost of an import (SHA-256 dominates it).
      String diffAlgorithm = compression == Compression.UNCOMPRESSED ? null : Digest.SHA256;
      UnpackResult checked;
      try {
        checked = LayerValidator.validate(CloseShieldInputStream.wrap(tee),
            new LayerBlob(name, compression.ociMediaType(), size), limits, diffAlgorithm);
      } catch (LayerFormatException | UnsafeLayerEntryException e) {
        throw new RefusedLayerException("layer " + name + " refused: " + e.getMessage(), e);
      }
      // Bytes the decompressor left unread (padding after the last frame) still belong to the blob.
      byte[] buf = new byte[BUFFER];
      while (tee.read(buf) >= 0) {
        // the tee stores them
      }
      if (checked.uncompressedSize() < TAR_BLOCK) {
        throw new RefusedLayerException("layer " + name + " refused: not a layer tar"
            + " (plain, gzip or zstd): " + checked.uncompressedSize() + " bytes of tar", null);
      }
      Digest diff = diffAlgorithm == null ? writer.digest() : checked.diffId();
      Digest blob = writer.commit(Map.of(DIFF_ID_LABEL, diff.toString()));
      long stored = writer.written();
      progress.update(stored, size);
      return new Imported(blob, stored, diff, compression.ociMediaType());
    }
  }

  /** Says that storing the blob failed, and where (a full disk says only "No space left"). */
  private static final class Storing extends FilterOutputStream {
    private final String name;

    Storing(OutputStream out, String name) {
      super(out);
      this.name = name;
    }

    @Override
    public void write(int b) throws IOException {
      try {
        out.write(b);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw failure(e);
      }
    }

    private IOException failure(IOException e) {
      return new IOException("cannot store " + name + " in the content store: " + e.getMessage(), e);
    }
  }

  /** Tells {@link Progress} how much of the blob is stored, at most once a second. */
  private static final class Reporting extends FilterInputStream {
    private final ContentWriter writer;
    private final long total;
    private final Progress progress;
    private long lastReport = System.nanoTime();

    Reporting(InputStream in, ContentWriter writer, long total, Progress progress) {
      super(in);
      this.writer = writer;
      this.total = total;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      reportNow();
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      reportNow();
      return n;
    }

    private void reportNow() {
      long now = System.nanoTime();
      if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
        lastReport = now;
        progress.update(writer.written(), total);
      }
    }
  }
}
