package org.refcache.core.layer;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** How a layer tar is compressed. */
public enum Compression {
  /** A plain tar. */
  UNCOMPRESSED(MediaTypes.OCI_LAYER),
  /** gzip (RFC 1952), possibly several members back to back. */
  GZIP(MediaTypes.OCI_LAYER_GZIP),
  /** Zstandard frames. */
  ZSTD(MediaTypes.OCI_LAYER_ZSTD);

  /** How many leading bytes {@link #sniff} looks at. */
  public static final int MAGIC_LENGTH = 4;

  private static final int BUFFER = 64 * 1024;

  private final String ociMediaType;

  Compression(String ociMediaType) {
    this.ociMediaType = ociMediaType;
  }

  /**
   * The compression the first {@code len} bytes of {@code header} show: gzip ({@code 1f 8b}), zstd
   * (frame magic {@code 28 b5 2f fd}, or a skippable frame {@code 5? 2a 4d 18}), otherwise
   * uncompressed.
   */
  public static Compression sniff(byte[] header, int len) {
    if (len >= 2 && (header[0] & 0xff) == 0x1f && (header[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (len >= 4) {
      int b0 = header[0] & 0xff;
      int b1 = header[1] & 0xff;
      int b2 = header[2] & 0xff;
      int b3 = header[3] & 0xff;
      boolean frame = b0 == 0x28 && b1 == 0xb5 && b2 == 0x2f && b3 == 0xfd;
      boolean skippable = (b0 & 0xf0) == 0x50 && b1 == 0x2a && b2 == 0x4d && b3 == 0x18;
      if (frame || skippable) {
        return ZSTD;
      }
    }
    return UNCOMPRESSED;
  }

  /**
   * The uncompressed bytes of {@code in}; closing the result closes {@code in}. A truncated
   * stream fails with a {@link LayerFormatException} saying so when its end is read, never as a
   * short stream (the decompressors themselves throw an {@link EOFException} without a message).
   * gzip goes through commons-compress rather than {@code java.util.zip.GZIPInputStream}, whose
   * Java 17 version decides whether another member follows from {@code available()} and so can
   * stop early on a stream that arrives in pieces; data after the last gzip member is an error.
   */
  public InputStream decompress(InputStream in) throws IOException {
    return switch (this) {
      case UNCOMPRESSED -> in;
      case GZIP -> {
        try {
          yield truncationReported(GzipCompressorInputStream.builder()
              .setInputStream(in)
              .setDecompressConcatenated(true)
              .get());
        } catch (EOFException e) {
          throw truncated(e); // the header is read at once
        }
      }
      case ZSTD -> truncationReported(new ZstdInputStreamNoFinalizer(in));
    };
  }

  /** The level {@link #compress(OutputStream, int)} takes to mean the compressor's default. */
  public static final int DEFAULT_LEVEL = -1;

  /**
   * A stream that compresses into {@code out}; closing it finishes the compressed stream and
   * closes {@code out}. For {@link #UNCOMPRESSED} it is {@code out} itself.
   */
  public OutputStream compress(OutputStream out) throws IOException {
    return compress(out, DEFAULT_LEVEL);
  }

  /**
   * {@link #compress(OutputStream)} at {@code level}: 1 to 9 for gzip (zlib's levels; the
   * default is 6), 1 to 22 for zstd (the default is 3), or {@link #DEFAULT_LEVEL}; ignored for
   * {@link #UNCOMPRESSED}. The gzip header is always the same (no file name, mtime 0) and the
   * compressor is fed in fixed chunks, so the same bytes at the same level give the same output
   * however they are written. {@code flush()} does not flush the compressor.
   *
   * @throws IllegalArgumentException if {@code level} is out of the compressor's range
   */
  public OutputStream compress(OutputStream out, int level) throws IOException {
    // Fed in fixed chunks, a compressor's output depends on the bytes alone, not on how the
    // caller happened to cut them (zstd's does otherwise).
    return switch (this) {
      case UNCOMPRESSED -> out;
      case GZIP -> new FixedChunkOutputStream(
          new LeveledGzipOutputStream(out, checkLevel(level, 9)), BUFFER);
      case ZSTD -> new FixedChunkOutputStream(new ZstdOutputStreamNoFinalizer(out,
          checkLevel(level, 22) == DEFAULT_LEVEL ? DEFAULT_ZSTD_LEVEL : level), BUFFER);
    };
  }

  private static final int DEFAULT_ZSTD_LEVEL = 3;

  private int checkLevel(int level, int max) {
    if (level != DEFAULT_LEVEL && (level < 1 || level > max)) {
      throw new IllegalArgumentException("compression level " + level + " is out of range for "
          + name().toLowerCase(java.util.Locale.ROOT) + " (1 to " + max + ")");
    }
    return level;
  }

  /** java.util.zip's gzip writer (header: no name, mtime 0) at a chosen deflate level. */
  private static final class LeveledGzipOutputStream extends GZIPOutputStream {
    LeveledGzipOutputStream(OutputStream out, int level) throws IOException {
      super(out, BUFFER);
      def.setLevel(level == DEFAULT_LEVEL ? Deflater.DEFAULT_COMPRESSION : level);
    }
  }

  /** The OCI layer media type for this compression. */
  public String ociMediaType() {
    return ociMediaType;
  }

  private LayerFormatException truncated(EOFException e) {
    return new TruncatedLayerException("the " + name().toLowerCase(Locale.ROOT)
        + " stream ends early: the blob is truncated", e);
  }

  /** Turns the decompressor's bare {@link EOFException} into an error that says what happened. */
  private InputStream truncationReported(InputStream decompressed) {
    return new ReportingInputStream(decompressed,
        e -> e instanceof EOFException eof ? truncated(eof) : e);
  }
}
