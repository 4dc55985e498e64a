package org.refcache.core.content;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.fs.EarlyWriteback;
import org.refcache.core.fs.FileTrees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write in progress under {@code ingest/<name>/} of a {@link ContentStore}: the bytes go to
 * {@code data} and through the digester as they come; {@link #commit} checks size and digest and
 * hands the file to the store, which publishes it as a blob. The store keeps the one-writer-per-ref
 * rule: this writer tells it when its ref is free again.
 */
final class IngestWriter implements ContentWriter {

  private static final Logger LOG = LoggerFactory.getLogger(IngestWriter.class);
  /** Bytes written between two early flushes (see {@link EarlyWriteback}). */
  private static final long FLUSH_EVERY = 16L * 1024 * 1024;

  private final ContentStore store;
  private final String ref;
  private final Path dir;
  private final Path data;
  private final FileChannel channel;
  private final Digester digester;
  private final long expectedSize;
  private final Digest expected;
  private final OutputStream stream = new IngestStream();
  /** Flushes of the data started while it is written, so that the commit's fsync waits for little. */
  private final EarlyWriteback writeback;
  private volatile long written;
  private volatile boolean finished;
  /** Set by {@link #digest()}: the blob's bytes are all written. */
  private volatile boolean complete;

  IngestWriter(ContentStore store, String ref, Path dir, FileChannel channel, Digester digester,
      long expectedSize, Digest expected) {
    this.store = store;
    this.ref = ref;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.channel = channel;
    this.digester = digester;
    this.expectedSize = expectedSize;
    this.expected = expected;
    this.writeback = new EarlyWriteback(() -> channel.force(false), FLUSH_EVERY,
        "refcache-ingest-flush");
  }

  @Override
  public String ref() {
    return ref;
  }

  @Override
  public OutputStream stream() {
    return stream;
  }

  @Override
  public long written() {
    return written;
  }

  @Override
  public Digest digest() throws IOException {
    requireOpen();
    complete = true;
    return digester.digest();
  }

  @Override
  public Digest commit(Map<String, String> labels) throws IOException {
    requireOpen();
    ContentStore.requireValidLabels(labels);
    try {
      try {
        writeback.await(); // an error the early flushes met would be missing from this fsync
        channel.force(true);
      } catch (IOException e) {
        throw naming(data, e);
      }
      channel.close();
      long size = written;
      if (expectedSize >= 0 && size != expectedSize) {
        throw new SizeMismatchException(ref, expectedSize, size);
      }
      Digest actual = digester.digest();
      if (expected != null && !expected.equals(actual)) {
        throw new DigestMismatchException(ref, expected, actual);
      }
      return store.publish(ref, actual, data, labels);
    } finally {
      finish();
    }
  }

  @Override
  public void close() throws IOException {
    if (!finished) {
      LOG.debug("ingest {}: aborted after {} bytes", ref, written);
      finish();
    }
  }

  /** Removes the ingest files and frees the ref; runs once. */
  private void finish() throws IOException {
    if (finished) {
      return;
    }
    finished = true;
    try {
      channel.close();
      FileTrees.deleteRecursively(dir);
    } finally {
      store.ingestEnded(ref);
    }
  }

  private void requireOpen() throws IOException {
    if (finished) {
      throw new IOException("ingest writer for ref \"" + ref + "\" is already committed or closed");
    }
  }

  private final class IngestStream extends OutputStream {
    private final byte[] one = new byte[1];

    @Override
    public void write(int b) throws IOException {
      one[0] = (byte) b;
      write(one, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      requireOpen();
      if (complete) {
        throw new IOException("ingest writer for ref \"" + ref
            + "\" gave its digest already: the blob is complete");
      }
      ByteBuffer buf = ByteBuffer.wrap(b, off, len);
      try {
        while (buf.hasRemaining()) {
          channel.write(buf);
        }
      } catch (IOException e) {
        throw naming(data, e);
      }
      digester.update(b, off, len);
      written += len;
      writeback.written(len);
    }

    @Override
    public void close() {
      // Closing the stream is not the writer's decision: commit() or ContentWriter.close() is.
    }
  }

  /**
   * {@code e} with the file it is about: {@code FileChannel} and {@code Files.write} say only "No space
   * left on device". The reason stays libc's words, so {@code ErrnoMapper} still finds the errno in it.
   */
  static IOException naming(Path file, IOException e) {
    if (e instanceof FileSystemException) {
      return e;
    }
    FileSystemException named = new FileSystemException(file.toString(), null, e.getMessage());
    named.initCause(e);
    return named;
  }
}
