package org.refcache.core.layer;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.FileSystemException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingInputStream;
import org.refcache.posix.NativeException;

/**
 * A layer blob opened for reading its tar, in one pass: the compression the media type declares is
 * checked against the magic bytes, then the blob is decompressed, held to the {@link LayerLimits},
 * every uncompressed byte is hashed (the diffID) and the tar is read entry by entry. Closing
 * releases the decompressor but leaves the caller's blob stream open.
 *
 * <p>Failures are sorted here, in one place ({@link #classify}): a failure to read the blob itself
 * (a disk or network error), or to write what an entry becomes, stays what it is; anything the
 * decompressor or the tar reader objects to is a {@link LayerFormatException} (a
 * {@link TruncatedLayerException} when the data stops early) that says where in the layer it
 * happened. The layer's own name is the caller's to add.
 */
final class LayerStream implements Closeable {
  private static final int BUFFER = 64 * 1024;

  /** What a pass does with each entry, reading a regular file's content from the tar. */
  @FunctionalInterface
  interface EntryHandler {
    void apply(TarArchiveEntry entry, LayerTarInputStream tar) throws IOException;
  }

  private final Compression compression;
  private final Source source;
  private final InputStream decompressed;
  private final Limited limited;
  private final DigestingInputStream digesting;
  private final LayerTarInputStream tar;

  private LayerStream(Compression compression, Source source, InputStream decompressed,
      LayerBlob blob, LayerLimits limits, String algorithm) {
    this.compression = compression;
    this.source = source;
    this.decompressed = decompressed;
    this.limited = new Limited(new Decompressed(decompressed), blob, limits);
    this.digesting = algorithm == null ? null
        : new DigestingInputStream(limited, Digester.of(algorithm));
    this.tar = new LayerTarInputStream(digesting != null ? digesting : limited, limits);
  }

  /**
   * Opens {@code in}, the bytes of {@code blob}, hashing the uncompressed bytes with
   * {@code algorithm} (null: no hashing, {@link #finish} returns null).
   *
   * @throws LayerFormatException if the media type is not a layer's or the bytes are compressed
   *     differently than it says
   */
  static LayerStream open(InputStream in, LayerBlob blob, LayerLimits limits, String algorithm)
      throws IOException {
    Compression declared;
    try {
      declared = MediaTypes.compressionOf(blob.mediaType());
    } catch (IllegalArgumentException e) {
      throw new LayerFormatException(e.getMessage(), e);
    }
    Source source = new Source(in);
    BufferedInputStream buffered = new BufferedInputStream(source, BUFFER);
    byte[] magic = new byte[Compression.MAGIC_LENGTH];
    buffered.mark(magic.length);
    int len = buffered.readNBytes(magic, 0, magic.length);
    buffered.reset();
    Compression actual = Compression.sniff(magic, len);
    if (actual != declared) {
      throw new LayerFormatException("media type " + blob.mediaType() + " declares " + declared
          + " but the blob is " + actual + " (first bytes " + hex(magic, len) + ")");
    }
    InputStream decompressed;
    try {
      decompressed = declared.decompress(buffered); // gzip reads its header here
    } catch (IOException e) {
      throw compressionFailure(declared, source, e, "");
    }
    return new LayerStream(declared, source, decompressed, blob, limits, algorithm);
  }

  /** The tar, read from the decompressed, limited, digested stream. */
  LayerTarInputStream tar() {
    return tar;
  }

  /**
   * Hands every entry to {@code handler}, then reads the rest of the stream ({@link #finish}).
   *
   * @return the diffID (null when not hashing), the uncompressed size and the entries read
   */
  UnpackResult readEntries(EntryHandler handler) throws IOException {
    try {
      TarArchiveEntry entry;
      while ((entry = next()) != null) {
        handler.apply(entry, tar);
      }
      return new UnpackResult(finish(), limited.count(), tar.entries());
    } catch (IOException e) {
      throw classify(e);
    }
  }

  /** The next entry; commons-compress reports some malformed headers as runtime exceptions. */
  private TarArchiveEntry next() throws IOException {
    try {
      return tar.getNextEntry();
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException e) {
      throw new LayerFormatException("malformed tar header" + tar.where() + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Reads what is left of the uncompressed stream after the tar's end (the rest of the trailer,
   * padding, anything else) so that the digest covers all of it, and returns the digest.
   */
  private Digest finish() throws IOException {
    InputStream rest = digesting != null ? digesting : limited;
    byte[] buf = new byte[BUFFER];
    while (rest.read(buf, 0, buf.length) >= 0) {
      // Drained bytes count through the digesting stream.
    }
    return digesting == null ? null : digesting.digest();
  }

  /**
   * What a failure of this pass is: the failure itself when the blob could not be read or an
   * entry not written, else a {@link LayerFormatException} saying where the layer is wrong.
   */
  IOException classify(IOException e) {
    if (e instanceof LayerFormatException || e instanceof UnsafeLayerEntryException
        || e instanceof DiffIdMismatchException) {
      return e;
    }
    if (source.failed || e instanceof FileSystemException || e instanceof NativeException
        || e instanceof InterruptedIOException) {
      return e; // reading the blob or writing the layer failed: not the layer's fault
    }
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (e instanceof EOFException || message.contains("runcated")) {
      return new TruncatedLayerException("truncated: the tar ends early, after "
          + limited.count() + " uncompressed bytes" + tar.where(), e);
    }
    return new LayerFormatException("malformed tar" + tar.where() + ": " + message, e);
  }

  @Override
  public void close() throws IOException {
    decompressed.close();
  }

  /** A decompressor's objection as a format error, unless reading the blob itself failed. */
  private static IOException compressionFailure(Compression compression, Source source,
      IOException e, String where) {
    // Compression's own truncation report (its cause the decompressor's bare EOFException) is made
    // more precise here: how far the blob was read, and in which entry.
    boolean truncatedStream = e instanceof TruncatedLayerException && e.getCause() instanceof EOFException;
    if (source.failed || (e instanceof LayerFormatException && !truncatedStream)) {
      return e;
    }
    String name = compression.name().toLowerCase(java.util.Locale.ROOT);
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (e instanceof EOFException || message.contains("runcated")) {
      return new TruncatedLayerException("truncated: the " + name + " stream ends early, after "
          + source.count + " bytes" + where, e);
    }
    return new LayerFormatException("corrupt " + name + " data after " + source.count
        + " bytes" + where + ": " + message, e);
  }

  private static String hex(byte[] b, int len) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return len == 0 ? "(empty)" : sb.toString();
  }

  /**
   * The caller's blob stream: counts the bytes read, remembers whether reading it failed, and is
   * left open (whoever opened the blob closes it).
   */
  private static final class Source extends FilterInputStream {
    long count;
    boolean failed;

    Source(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        int b = in.read();
        if (b >= 0) {
          count++;
        }
        return b;
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        int n = in.read(b, off, len);
        if (n > 0) {
          count += n;
        }
        return n;
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public long skip(long n) throws IOException {
      // Read: a caller may be teeing the blob somewhere (an import stores it as it is checked).
      return Limited.skipByReading(this, n);
    }

    @Override
    public void close() {
      // The caller closes the blob.
    }
  }

  /** The decompressor's output, with its failures turned into format errors. */
  private final class Decompressed extends FilterInputStream {
    Decompressed(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw compressionFailure(compression, source, e, tar == null ? "" : tar.where());
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw compressionFailure(compression, source, e, tar == null ? "" : tar.where());
      }
    }

    @Override
    public long skip(long n) throws IOException {
      // Read, so that every byte is counted and checked against the limits.
      return Limited.skipByReading(this, n);
    }
  }

  /**
   * Counts the uncompressed bytes and refuses the layer as soon as they pass what its limits allow
   * for its compressed size, having read only that far.
   */
  private static final class Limited extends FilterInputStream {
    private final LayerBlob blob;
    private final LayerLimits limits;
    private final long allowance;
    private long count;

    Limited(InputStream in, LayerBlob blob, LayerLimits limits) {
      super(in);
      this.blob = blob;
      this.limits = limits;
      this.allowance = limits.uncompressedAllowance(blob.size());
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // Never read past the allowance by more than one byte: that byte proves the layer too big.
      long room = allowance - count;
      int n = in.read(b, off, room >= len ? len : (int) Math.max(room + 1, 1));
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      return skipByReading(this, n);
    }

    private void counted(int n) throws LayerLimitException {
      count += n;
      if (count <= allowance) {
        return;
      }
      if (allowance >= limits.maxSize()) {
        throw new LayerLimitException(LayerLimits.SIZE_SETTING, "the uncompressed layer is larger"
            + " than " + LayerLimits.bytes(limits.maxSize()) + " (" + LayerLimits.SIZE_SETTING
            + "); refused after reading that much");
      }
      throw new LayerLimitException(LayerLimits.RATIO_SETTING, "the layer expands more than "
          + limits.maxRatio() + " times (" + LayerLimits.RATIO_SETTING + ") its "
          + LayerLimits.bytes(blob.size()) + " compressed; refused after "
          + LayerLimits.bytes(allowance) + " uncompressed");
    }

    static long skipByReading(InputStream in, long n) throws IOException {
      byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 8192)];
      long skipped = 0;
      while (skipped < n) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, n - skipped));
        if (r < 0) {
          break;
        }
        skipped += r;
      }
      return skipped;
    }
  }
}
