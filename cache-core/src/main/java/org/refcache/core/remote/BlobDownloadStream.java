package org.refcache.core.remote;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of one blob from a registry, resumed where a transfer broke.
 *
 * <p>When the connection breaks, stalls, or ends before the descriptor's size, the next read asks
 * again with {@code Range: bytes=<position>-} after a backoff, at most
 * {@link RetryPolicy#maxResumes()} times; a registry that ignores the range (answers 200) has the
 * bytes already read skipped. The stream never hands out more than the descriptor's size: a blob
 * that is longer, or that the registry announces with another length, fails with
 * {@link RemoteSizeMismatchException}.
 *
 * <p>With {@code verify}, the bytes are hashed as they are read and the end of the stream is
 * reported only after they match the digest; otherwise the last read fails with
 * {@link RemoteDigestMismatchException}. Without it the caller verifies (a content store writer
 * does at commit). Not thread-safe.
 */
final class BlobDownloadStream extends InputStream {
  private static final Logger LOG = LoggerFactory.getLogger(BlobDownloadStream.class);
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes ([0-9]+)-([0-9]+)/([0-9]+|\\*)");

  private final RegistryTransport transport;
  private final ImageReference image;
  private final OciDescriptor blob;
  private final TransferListener listener;
  private final Digester digester;
  private final byte[] probe = new byte[1];
  private RegistryResponse current;
  private long position;
  private int resumes;
  private boolean done;
  private boolean closed;
  private IOException failure;
  private boolean started;

  BlobDownloadStream(RegistryTransport transport, ImageReference image, OciDescriptor blob,
      TransferListener listener, boolean verify) {
    this.transport = transport;
    this.image = image;
    this.blob = blob;
    this.listener = listener;
    this.digester = verify ? Digester.of(blob.digest().algorithm()) : null;
  }

  /** How many bytes have been handed out. */
  long position() {
    return position;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("blob stream of " + blob.digest() + " is closed"); // never a verified end
    }
    if (failure != null) {
      throw failure;
    }
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (position == blob.size()) {
        finish();
        return -1;
      }
      int n;
      try {
        if (current == null) {
          open();
        }
        n = current.body().read(b, off, (int) Math.min(len, blob.size() - position));
      } catch (RegistryException e) {
        failure = e;
        throw e;
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e; // interrupted, not broken (a read timeout is an InterruptedIOException too)
        }
        broken(e);
        continue;
      }
      if (n < 0) {
        broken(new EOFException("the registry closed the transfer at byte " + position + " of " + blob.size()));
        continue;
      }
      if (digester != null) {
        digester.update(b, off, n);
      }
      position += n;
      listener.progressed(image, blob, position);
      return n;
    }
  }

  /**
   * All bytes are in: nothing may follow, and with {@code verify} they must hash to the digest. A
   * failure here is final: every later read repeats it, so the stream never ends cleanly.
   */
  private void finish() throws IOException {
    try {
      verifyEnd();
    } catch (IOException e) {
      failure = e;
      throw e;
    } finally {
      done = true;
    }
  }

  private void verifyEnd() throws IOException {
    try {
      if (current != null) {
        int extra;
        try {
          extra = current.body().read(probe, 0, 1);
        } catch (IOException e) {
          extra = -1; // every byte arrived; a connection that breaks now changes nothing
        }
        if (extra > 0) {
          throw new RemoteSizeMismatchException(image, blob.digest(), blob.size(), blob.size() + 1, "blob");
        }
      }
    } finally {
      closeCurrent();
    }
    listener.finished(image, blob);
    if (digester != null) {
      Digest actual = digester.digest();
      if (!actual.equals(blob.digest())) {
        throw new RemoteDigestMismatchException(image, blob.digest(), actual, "blob from the registry");
      }
    }
  }

  private void broken(IOException cause) throws IOException {
    closeCurrent();
    resumes++;
    if (resumes > transport.retry().maxResumes()) {
      failure = new RegistryException(image, blob.digest(), "the transfer of the blob broke " + resumes
          + " times, the last at byte " + position + " of " + blob.size() + ": "
          + RegistryTransport.describe(cause), cause, true);
      throw failure;
    }
    LOG.warn("{}: the transfer of blob {} broke at byte {} of {} ({}); resuming ({} of {})", image, blob.digest(),
        position, blob.size(), RegistryTransport.describe(cause), resumes, transport.retry().maxResumes());
    listener.resumed(image, blob, position, cause);
    RetryPolicy.sleep(transport.retry().backoff(resumes));
  }

  private void open() throws IOException {
    RegistryRequest request = RegistryRequest.of(image, blob.digest(), "GET",
        transport.uri(image, "blobs/" + blob.digest()), java.util.List.of(RegistryRequest.pullScope(image)));
    if (position > 0) {
      request = request.header("Range", "bytes=" + position + "-");
    }
    if (!started) {
      started = true;
      listener.started(image, blob, position);
    }
    RegistryResponse r = transport.send(request);
    try {
      switch (r.status()) {
        case 200 -> {
          checkLength(r.contentLength(), blob.size());
          skip(r, position);
        }
        case 206 -> checkRange(r);
        case 404 -> throw new BlobNotFoundException(image, blob.digest(), said(r));
        default -> throw new RegistryException(image, blob.digest(), "GET of the blob answered "
            + RegistryErrors.statusLine(r.status(), said(r)));
      }
    } catch (IOException | RuntimeException e) {
      r.close();
      throw e;
    }
    current = r;
  }

  private static String said(RegistryResponse r) {
    String text = r.text();
    return RegistryErrors.describe(RegistryErrors.parse(text), text);
  }

  private void checkLength(long announced, long expected) throws RemoteSizeMismatchException {
    if (announced >= 0 && announced != expected) {
      throw new RemoteSizeMismatchException(image, blob.digest(), blob.size(), announced + (blob.size() - expected),
          "blob");
    }
  }

  private void checkRange(RegistryResponse r) throws IOException {
    String header = r.header("Content-Range");
    Matcher m = header == null ? null : CONTENT_RANGE.matcher(header.trim());
    if (m == null || !m.matches()) {
      throw new RegistryException(image, blob.digest(), "the registry answered a range request without a valid"
          + " Content-Range (" + header + ")");
    }
    long start = Long.parseLong(m.group(1));
    if (start != position) {
      throw new RegistryException(image, blob.digest(), "asked for the blob from byte " + position
          + ", the registry sent it from byte " + start);
    }
    if (!m.group(3).equals("*") && Long.parseLong(m.group(3)) != blob.size()) {
      throw new RemoteSizeMismatchException(image, blob.digest(), blob.size(), Long.parseLong(m.group(3)), "blob");
    }
    checkLength(r.contentLength(), blob.size() - position);
  }

  /** A registry that ignored the range sends the whole blob again: drop what we already have. */
  private static void skip(RegistryResponse r, long n) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long left = n;
    while (left > 0) {
      int got = r.body().read(buf, 0, (int) Math.min(buf.length, left));
      if (got < 0) {
        throw new EOFException("the registry closed the transfer while sending bytes already received");
      }
      left -= got;
    }
  }

  private void closeCurrent() {
    if (current != null) {
      current.close();
      current = null;
    }
  }

  @Override
  public void close() {
    closed = true;
    closeCurrent();
  }
}
