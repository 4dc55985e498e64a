package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.TransferListener;
import org.refcache.protocol.ControlProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells one client how the blob transfers of its pull or push go, as progress lines
 * ({@code {"blob", "bytes", "total", "done"}}, at most about four a second per blob), and logs each
 * transfer's end with its size and time. Once {@link #close() closed} (the request answered) it
 * logs and tells the service's own display ({@link FetchDisplay}): a lazy ref's provider may still
 * fetch through the pull's client long after.
 */
final class TransferProgress implements TransferListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TransferProgress.class);
  private static final long INTERVAL_NANOS = 250_000_000L;

  private volatile Consumer<JsonNode> client;
  private final TransferListener afterAnswer;
  private final Map<String, long[]> started = new ConcurrentHashMap<>();

  TransferProgress(Consumer<JsonNode> client) {
    this(client, NONE);
  }

  /** @param afterAnswer hears the transfers that happen once the request is answered */
  TransferProgress(Consumer<JsonNode> client, TransferListener afterAnswer) {
    this.client = client;
    this.afterAnswer = afterAnswer;
  }

  @Override
  public void started(ImageReference image, OciDescriptor blob, long offset) {
    // [start time, last line sent, bytes at start]
    started.put(blob.digest().toString(), new long[] {System.nanoTime(), 0, offset});
    if (client == null) {
      afterAnswer.started(image, blob, offset);
    }
    send(blob, offset, false);
  }

  @Override
  public void progressed(ImageReference image, OciDescriptor blob, long bytesDone) {
    if (client == null) {
      afterAnswer.progressed(image, blob, bytesDone);
    }
    long[] t = started.get(blob.digest().toString());
    long now = System.nanoTime();
    if (t != null && now - t[1] < INTERVAL_NANOS) {
      return;
    }
    if (t != null) {
      t[1] = now;
    }
    send(blob, bytesDone, false);
  }

  @Override
  public void resumed(ImageReference image, OciDescriptor blob, long atByte, IOException cause) {
    LOG.info("transfer of {} ({}) broke at byte {}: {}; resuming", blob.digest(), image, atByte, cause.toString());
    if (client == null) {
      afterAnswer.resumed(image, blob, atByte, cause);
    }
  }

  @Override
  public void finished(ImageReference image, OciDescriptor blob) {
    long[] t = started.remove(blob.digest().toString());
    if (t != null) {
      long millis = Math.max(1, (System.nanoTime() - t[0]) / 1_000_000);
      LOG.info("transferred {} of {} ({} bytes) in {} ms", blob.digest(), image, blob.size(), millis);
    }
    if (client == null) {
      afterAnswer.finished(image, blob);
    }
    send(blob, blob.size(), true);
  }

  private void send(OciDescriptor blob, long bytes, boolean done) {
    ObjectNode p = ControlProtocol.object();
    p.put("blob", blob.digest().toString());
    p.put("bytes", bytes);
    p.put("total", blob.size());
    p.put("done", done);
    send(p);
  }

  /** Sends one progress line to the client, unless it is gone or the request answered. */
  void send(ObjectNode p) {
    Consumer<JsonNode> c = client;
    if (c == null) {
      return;
    }
    try {
      c.accept(p);
    } catch (RuntimeException e) {
      // The client went away: the transfer goes on for the ref (a listener must not throw).
      client = null;
    }
  }

  /** Stops sending progress (the request is answered); logging goes on. */
  @Override
  public void close() {
    client = null;
  }
}
