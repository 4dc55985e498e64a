package org.refcache.core.layer;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingInputStream;

/**
 * A layer blob opened for reading its tar: the compression the media type declares is checked
 * against the magic bytes, then the blob is decompressed and every uncompressed byte is hashed
 * (the diffID). Closing releases the decompressor but leaves the caller's blob stream open.
 */
final class LayerStream implements Closeable {
  private static final int BUFFER = 64 * 1024;

  private final InputStream decompressed;
  private final DigestingInputStream digesting;
  private final LayerTarInputStream tar;

  private LayerStream(InputStream decompressed, String algorithm) {
    this.decompressed = decompressed;
    this.digesting = new DigestingInputStream(decompressed, Digester.of(algorithm));
    this.tar = new LayerTarInputStream(digesting);
  }

  /**
   * Opens {@code blob} as a layer of {@code mediaType}, hashing the uncompressed bytes with
   * {@code algorithm}.
   *
   * @throws LayerFormatException if the media type is not a layer's or the bytes are compressed
   *     differently than it says
   */
  static LayerStream open(InputStream blob, String mediaType, String algorithm)
      throws IOException {
    Compression declared;
    try {
      declared = MediaTypes.compressionOf(mediaType);
    } catch (IllegalArgumentException e) {
      throw new LayerFormatException(e.getMessage(), e);
    }
    BufferedInputStream buffered = new BufferedInputStream(new CallerOwned(blob), BUFFER);
    byte[] magic = new byte[Compression.MAGIC_LENGTH];
    buffered.mark(magic.length);
    int len = buffered.readNBytes(magic, 0, magic.length);
    buffered.reset();
    Compression actual = Compression.sniff(magic, len);
    if (actual != declared) {
      throw new LayerFormatException("media type " + mediaType + " declares " + declared
          + " but the blob is " + actual + " (first bytes " + hex(magic, len) + ")");
    }
    return new LayerStream(declared.decompress(buffered), algorithm);
  }

  /** The tar, read from the decompressed, digested stream. */
  LayerTarInputStream tar() {
    return tar;
  }

  /**
   * Reads what is left of the uncompressed stream after the tar's end (the rest of the trailer,
   * padding, anything else) so that the digest covers all of it, and returns the digest.
   */
  Digest finish() throws IOException {
    byte[] buf = new byte[BUFFER];
    while (digesting.read(buf, 0, buf.length) >= 0) {
      // Drained bytes count through the digesting stream.
    }
    return digesting.digest();
  }

  /** Uncompressed bytes read so far. */
  long uncompressedSize() {
    return digesting.count();
  }

  @Override
  public void close() throws IOException {
    decompressed.close();
  }

  private static String hex(byte[] b, int len) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return len == 0 ? "(empty)" : sb.toString();
  }

  /** Leaves the caller's stream open: whoever opened the blob closes it. */
  private static final class CallerOwned extends FilterInputStream {
    CallerOwned(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The caller closes the blob.
    }
  }
}
