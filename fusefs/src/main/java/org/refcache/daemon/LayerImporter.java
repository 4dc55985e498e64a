package org.refcache.daemon;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarUtils;
import org.apache.commons.io.input.CloseShieldInputStream;
import org.apache.commons.io.input.TeeInputStream;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.content.ContentStore;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.layer.Compression;

/**
 * Stores a local layer tarball (plain, gzip or zstd) in the content store and computes what a layer
 * descriptor needs, reading the file once: the bytes read from the file are teed into the content
 * writer (which digests them as the blob) while the same stream is decompressed and digested as the
 * diffID. Reading twice would double the disk reads of large layers; the tee costs only the
 * decompression, which a second pass would pay as well.
 *
 * <p>Nothing is unpacked: the ref made from the result stays lazy until its tree is first used.
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

  public LayerImporter(ContentStore content) {
    this.content = content;
  }

  /**
   * Stores {@code file} and returns its descriptor data.
   *
   * @throws NoSuchFileException when {@code file} does not exist
   * @throws ControlException (usage) when it is not a regular file, (other) when it is not a tar archive
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
      BufferedInputStream in = new BufferedInputStream(new TeeInputStream(raw, writer.stream(), false), BUFFER);
      byte[] head = new byte[Compression.MAGIC_LENGTH];
      in.mark(head.length);
      int headLength = in.readNBytes(head, 0, head.length);
      in.reset();
      Compression compression = Compression.sniff(head, headLength);

      // An uncompressed layer's diffID is its blob digest, which the writer computes anyway: hashing
      // the same bytes twice would double the cost of an import (SHA-256 dominates it).
      Digester diffId = compression == Compression.UNCOMPRESSED ? null : Digester.sha256();
      byte[] firstBlock = new byte[TAR_BLOCK];
      long uncompressed = 0;
      long lastReport = System.nanoTime();
      byte[] buf = new byte[BUFFER];
      try (InputStream plain = compression.decompress(CloseShieldInputStream.wrap(in))) {
        int n;
        while ((n = plain.read(buf)) >= 0) {
          if (uncompressed < TAR_BLOCK) {
            System.arraycopy(buf, 0, firstBlock, (int) uncompressed, (int) Math.min(n, TAR_BLOCK - uncompressed));
          }
          uncompressed += n;
          if (diffId != null) {
            diffId.update(buf, 0, n);
          }
          long now = System.nanoTime();
          if (now - lastReport >= PROGRESS_INTERVAL_NANOS) {
            lastReport = now;
            progress.update(writer.written(), total);
          }
        }
      }
      // Bytes the decompressor left unread (padding after the last frame) still belong to the blob.
      while (in.read(buf) >= 0) {
        // the tee stores them
      }
      if (uncompressed < TAR_BLOCK || !isTarStart(firstBlock)) {
        throw new ControlException(ErrorKind.OTHER, file + " is not a layer tar (plain, gzip or zstd)");
      }
      Digest blob;
      Digest diff;
      if (diffId == null) {
        blob = writer.commit(Map.of());
        diff = blob;
        content.updateLabels(blob, Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diff.toString()));
      } else {
        diff = diffId.digest();
        blob = writer.commit(Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, diff.toString()));
      }
      progress.update(total, total);
      return new Imported(blob, total, diff, compression.ociMediaType());
    }
  }

  /** A tar starts with a header whose checksum holds, or with the zero block of an empty archive. */
  private static boolean isTarStart(byte[] block) {
    boolean zero = true;
    for (byte b : block) {
      if (b != 0) {
        zero = false;
        break;
      }
    }
    if (zero) {
      return true;
    }
    try {
      return TarUtils.verifyCheckSum(block);
    } catch (IllegalArgumentException e) {
      return false; // the checksum field is not even octal
    }
  }
}
