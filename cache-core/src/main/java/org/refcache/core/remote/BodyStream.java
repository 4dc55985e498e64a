package org.refcache.core.remote;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as a blocking stream whose reads give up after a quiet period.
 *
 * <p>{@code BodySubscribers.ofInputStream()} waits forever for the next bytes, so a connection that
 * stalls without breaking (a dead peer behind a NAT) would hang a transfer for good; here a read
 * that sees nothing for {@code readTimeout} fails with {@link SocketTimeoutException}, which a
 * transfer treats like a broken connection (resume from the byte reached). It asks the connection
 * for one batch of buffers at a time, so at most about one batch is held in memory.
 *
 * <p>{@link #close()} before the end cancels the exchange (the connection is dropped); after the end
 * it leaves the connection to be reused.
 */
final class BodyStream extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final long readTimeoutNanos;
  private final String what;
  private volatile Flow.Subscription subscription;
  private Iterator<ByteBuffer> batch;
  private ByteBuffer current;
  private boolean ended;
  private IOException failure;
  private boolean closed;

  private record Failure(Throwable cause) {}

  /**
   * @param readTimeout the longest wait for more bytes
   * @param what the request, for the timeout's message
   */
  BodyStream(Duration readTimeout, String what) {
    this.readTimeoutNanos = readTimeout.toNanos();
    this.what = what;
  }

  @Override
  public CompletionStage<InputStream> getBody() {
    return CompletableFuture.completedFuture(this);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(item);
  }

  @Override
  public void onError(Throwable t) {
    queue.add(new Failure(t));
  }

  @Override
  public void onComplete() {
    queue.add(END);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    if (failure != null) {
      throw failure;
    }
    if (len == 0) {
      return 0;
    }
    while (current == null || !current.hasRemaining()) {
      if (batch != null && batch.hasNext()) {
        current = batch.next();
        continue;
      }
      if (ended) {
        return -1;
      }
      next();
    }
    int n = Math.min(len, current.remaining());
    current.get(b, off, n);
    return n;
  }

  @SuppressWarnings("unchecked")
  private void next() throws IOException {
    Object o;
    try {
      o = queue.poll(readTimeoutNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel();
      throw new java.io.InterruptedIOException("interrupted while reading " + what);
    }
    if (o == null) {
      cancel();
      failure = new SocketTimeoutException("no data for " + TimeUnit.NANOSECONDS.toMillis(readTimeoutNanos)
          + " ms while reading " + what);
      throw failure;
    }
    if (o == END) {
      ended = true;
      batch = null;
      return;
    }
    if (o instanceof Failure f) {
      Throwable t = f.cause();
      failure = t instanceof IOException io ? io : new IOException(t.getMessage(), t);
      throw failure;
    }
    batch = ((List<ByteBuffer>) o).iterator();
    subscription.request(1);
  }

  private void cancel() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  /** A body larger than the caller reads into memory; not a broken transfer. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }

  /** Reads the rest, up to {@code limit} bytes; more than that fails with {@link TooLargeException}. */
  byte[] readAll(long limit, String content) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[16 * 1024];
    int n;
    while ((n = read(buf, 0, buf.length)) >= 0) {
      if (out.size() + (long) n > limit) {
        throw new TooLargeException(content + " is larger than " + limit + " bytes");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!ended || failure != null) {
      cancel();
    }
    queue.clear();
    batch = null;
    current = null;
  }
}
