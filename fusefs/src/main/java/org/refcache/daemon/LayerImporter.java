package org.refcache.daemon;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.commons.io.input.CloseShieldInputStream;
import org.apache.commons.io.input.TeeInputStream;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.content.ContentStore;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.LayerBlob;
import org.refcache.core.layer.LayerFormatException;
import org.refcache.core.layer.LayerLimits;
import org.refcache.core.layer.LayerValidator;
import org.refcache.core.layer.UnpackResult;
import org.refcache.core.layer.UnsafeLayerEntryException;

/**
 * Stores a local layer tarball (plain, gzip or zstd) in the content store and computes what a layer
 * descriptor needs, reading the file once: the bytes read from the file are teed into the content
 * writer (which digests them as the blob) while the same stream is decompressed, digested as the
 * diffID and checked entry by entry as the unpacker would apply it ({@link LayerValidator}).
 * Reading twice would double the disk reads of large layers; the tee costs only the decompression,
 * which a second pass would pay as well.
 *
 * <p>A layer the unpacker would refuse (an unsafe or malformed entry, truncated data, over the
 * {@link LayerLimits}) is refused here, having read only as far as the reason: the ingest is
 * abandoned, which removes its file, so nothing of it stays in the content store. Nothing is
 * unpacked: the ref made from an accepted layer stays lazy until its tree is first used.
 */
public final class LayerImporter {
  private static final int BUFFER = 128 * 1024;
  private static final int TAR_BLOCK = 512;
  private static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

  /** Progress of one import. */
  @FunctionalInterface
  public interface Progress {
    /** {@code bytes} of the file's {@code total} are stored. */
    void update(long bytes, long total);
  }

  /**
   * A stored layer blob.
   *
   * @param blob the digest of the file as stored
   * @param size its size in bytes
   * @param diffId the digest of the uncompressed tar
   * @param mediaType the OCI layer media type matching the compression found
   */
  public record Imported(Digest blob, long size, Digest diffId, String mediaType) {
    /** The layer descriptor for {@code getByBlob}. */
    public Descriptor descriptor() {
      return Descriptor.layer(mediaType, blob, size, diffId);
    }
  }

  private final ContentStore content;
  private final LayerLimits limits;

  /** An importer with the default limits. */
  public LayerImporter(ContentStore content) {
    this(content, LayerLimits.DEFAULTS);
  }

  /** An importer that refuses layers over {@code limits}. */
  public LayerImporter(ContentStore content, LayerLimits limits) {
    this.content = content;
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Checks and stores {@code file} and returns its descriptor data.
   *
   * @throws NoSuchFileException when {@code file} does not exist
   * @throws ControlException (usage) when it is not a regular file, (other) when it is not a layer
   *     tar or a layer the unpacker would refuse, with the reason
   */
  public Imported ingest(Path file, Progress progress) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString());
    }
    if (!Files.isRegularFile(file)) {
      throw new ControlException(ErrorKind.USAGE, file + " is not a regular file");
    }
    long total = Files.size(file);
    try (InputStream raw = Files.newInputStream(file);
        ContentWriter writer = content.writer("import-" + UUID.randomUUID(), total, null)) {
      BufferedInputStream in = new BufferedInputStream(new Reporting(
          new TeeInputStream(new Reading(raw, file), new Storing(writer.stream(), file), false),
          writer, total, progress), BUFFER);
      byte[] head = new byte[Compression.MAGIC_LENGTH];
      in.mark(head.length);
      int headLength = in.readNBytes(head, 0, head.length);
      in.reset();
      Compression compression = Compression.sniff(head, headLength);

      // An uncompressed layer's diffID is its blob digest, which the writer computes anyway: hashing
      // the same bytes twice would double the cost of an import (SHA-256 dominates it).
      String diffAlgorithm = compression == Compression.UNCOMPRESSED ? null : Digest.SHA256;
      UnpackResult checked;
      try {
        checked = LayerValidator.validate(CloseShieldInputStream.wrap(in),
            new LayerBlob(file.toString(), compression.ociMediaType(), total), limits,
            diffAlgorithm);
      } catch (LayerFormatException | UnsafeLayerEntryException e) {
        throw new ControlException(ErrorKind.OTHER, "layer " + file + " refused: "
            + e.getMessage());
      }
      // Bytes the decompressor left unread (padding after the last frame) still belong to the blob.
      byte[] buf = new byte[BUFFER];
      while (in.read(buf) >= 0) {
        // the tee stores them
      }
      if (checked.uncompressedSize() < TAR_BLOCK) {
        throw new ControlException(ErrorKind.OTHER, "layer " + file + " refused: not a layer tar"
            + " (plain, gzip or zstd): " + checked.uncompressedSize() + " bytes of tar");
      }
      Digest blob;
      Digest diff;
      if (diffAlgorithm == null) {
        blob = writer.commit(Map.of());
        diff = blob;
        content.updateLabels(blob, Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diff.toString()));
      } else {
        diff = checked.diffId();
        blob = writer.commit(Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diff.toString()));
      }
      progress.update(total, total);
      return new Imported(blob, total, diff, compression.ociMediaType());
    }
  }

  /** Says which file could not be read (the message of a read error names nothing). */
  private static final class Reading extends FilterInputStream {
    private final Path file;

    Reading(InputStream in, Path file) {
      super(in);
      this.file = file;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }
  }

  /** Says that storing the blob failed, and where (a full disk says only "No space left"). */
  private static final class Storing extends FilterOutputStream {
    private final Path file;

    Storing(OutputStream out, Path file) {
      super(out);
      this.file = file;
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
      return new IOException("cannot store " + file + " in the content store: " + e.getMessage(), e);
    }
  }

  /** Tells {@link Progress} how much of the file is stored, at most once a second. */
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
