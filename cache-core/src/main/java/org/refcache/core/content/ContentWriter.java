package org.refcache.core.content;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import org.refcache.core.digest.Digest;

/**
 * One blob being written (containerd's {@code content.Writer}). Single-threaded: one thread writes and
 * commits.
 *
 * <p>{@link #close()} without a successful {@link #commit} aborts: the ingest files are removed and the
 * ref is free again. After a commit, {@code close()} does nothing.
 */
public interface ContentWriter extends Closeable {
  /** The ref this writer holds. */
  String ref();

  /**
   * The stream to write the blob's bytes to; unbuffered, every write reaches the ingest file. Closing
   * the stream neither commits nor aborts the writer (it does nothing), so it may be used in a
   * try-with-resources block before {@link #commit}.
   */
  OutputStream stream();

  /** Bytes written so far. */
  long written();

  /**
   * The digest of the blob: finishes it with the bytes written so far, so that a caller can put the
   * blob's own digest in the labels of its {@link #commit} (an uncompressed layer's diffID is its
   * digest) and the blob is recorded in one write. Writing after it fails; {@link #commit} verifies
   * and stores the bytes it covers. Calling it again returns the same digest.
   */
  Digest digest() throws IOException;

  /**
   * Makes the blob visible: fsyncs the data, verifies the size ({@link SizeMismatchException}) and the
   * digest ({@link DigestMismatchException}), makes the file read-only, renames it atomically into
   * {@code blobs/<alg>/<hex>}, fsyncs that directory and records its {@link ContentInfo}.
   *
   * <p>The writer is finished afterwards, whether the commit succeeded or threw: its ingest files are
   * removed and the ref is free. A blob that fails verification therefore never becomes visible.
   *
   * <p>If the blob already exists, the commit succeeds and returns its digest; the new bytes are
   * discarded and {@code labels} are merged into the existing ones.
   *
   * @param labels labels to set; a null value removes that label
   * @return the blob's digest
   */
  Digest commit(Map<String, String> labels) throws IOException;

  /** Aborts unless committed; idempotent. */
  @Override
  void close() throws IOException;
}
