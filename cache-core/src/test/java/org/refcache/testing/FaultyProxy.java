package org.refcache.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of a registry that injects the faults a real network and a
 * loaded registry produce: it cuts blob downloads (the answer to each of the next {@code n} blob
 * GETs is reset after {@code bytes} bytes) and answers requests itself with an error status (a 503
 * from an overloaded registry). It reads the requests going through (HTTP/1.1 without pipelining,
 * bodies with Content-Length) and records their heads, so tests can check the {@code Range}
 * headers.
 */
public final class FaultyProxy implements AutoCloseable {
  private final int targetPort;
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
  private final List<String> requestHeads = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger cutsLeft = new AtomicInteger();
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private volatile int failureStatus;
  private volatile String failurePrefix = "";
  private final AtomicInteger redirectsLeft = new AtomicInteger();
  private volatile long cutAfter = Long.MAX_VALUE;
  private volatile boolean stallInsteadOfCut;
  private volatile int redirectPort;
  private volatile boolean closed;
  /** Set while downloads are to be held (see {@link #holdBlobDownloads}); counted down by {@link #release}. */
  private volatile java.util.concurrent.CountDownLatch holdUntil;
  /** The latch {@link #release} opens: the last one {@link #holdBlobDownloads} armed. */
  private volatile java.util.concurrent.CountDownLatch releaseLatch;
  private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);

  public FaultyProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "faulty-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Cuts the answers of the next {@code times} blob GETs after {@code bytes} bytes (headers included). */
  public void cutBlobDownloads(long bytes, int times) {
    stallInsteadOfCut = false;
    cutAfter = bytes;
    cutsLeft.set(times);
  }

  /**
   * Stops passing on the answers of the next {@code times} blob GETs after {@code bytes} bytes,
   * keeping the connection open (a peer gone silent), until the client closes it.
   */
  public void stallBlobDownloads(long bytes, int times) {
    stallInsteadOfCut = true;
    cutAfter = bytes;
    cutsLeft.set(times);
  }

  /**
   * Holds the answer of the next blob GET after {@code bytes} bytes until {@link #release()}, then
   * resets the connection, as a registry stopped meanwhile does: a transfer caught in the middle,
   * for a test that stops the registry there.
   */
  public void holdBlobDownloads(long bytes) {
    releaseLatch = new java.util.concurrent.CountDownLatch(1);
    holdUntil = releaseLatch;
    stallInsteadOfCut = false;
    cutAfter = bytes;
    cutsLeft.set(1);
  }

  /** Waits until a download is held by {@link #holdBlobDownloads}; false after {@code seconds}. */
  public boolean awaitHeld(long seconds) throws InterruptedException {
    return held.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Lets a held download go on. */
  public void release() {
    java.util.concurrent.CountDownLatch h = releaseLatch;
    if (h != null) {
      h.countDown();
    }
  }

  /** Answers the next {@code times} blob GETs with a 307 to the same path on loopback port {@code port}. */
  public void redirectBlobDownloads(int port, int times) {
    redirectPort = port;
    redirectsLeft.set(times);
  }

  /**
   * Answers the next {@code times} requests whose request line starts with {@code prefix} (e.g.
   * {@code "PATCH "}, or {@code ""} for all) itself, with {@code status} and a distribution error
   * body, instead of passing them on.
   */
  public void failRequests(String prefix, int status, int times) {
    failurePrefix = prefix;
    failureStatus = status;
    failuresLeft.set(times);
  }

  /** The head (request line and headers) of every request so far, in order. */
  public List<String> requestHeads() {
    synchronized (requestHeads) {
      return List.copyOf(requestHeads);
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream;
        try {
          upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        } catch (IOException e) {
          client.close(); // the registry is down: the client sees the connection fail, as it would
          continue;
        }
        sockets.add(client);
        sockets.add(upstream);
        Connection c = new Connection(client, upstream);
        start("faulty-proxy-up", c::pumpRequests);
        start("faulty-proxy-down", c::pumpResponses);
      } catch (IOException e) {
        if (!closed) {
          throw new IllegalStateException("proxy accept failed", e);
        }
      }
    }
  }

  private static void start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  /** One client connection and its connection to the registry. */
  private final class Connection {
    private final Socket client;
    private final Socket upstream;
    /** Bytes of the current answer after which to cut (or stall), or -1 for none. */
    private volatile long cutAt = -1;
    private volatile boolean stall;

    Connection(Socket client, Socket upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    void pumpRequests() {
      try (InputStream in = client.getInputStream(); OutputStream out = upstream.getOutputStream()) {
        while (true) {
          String head = readHead(in);
          if (head == null) {
            break;
          }
          requestHeads.add(head);
          if (head.startsWith(failurePrefix) && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            copyBody(in, OutputStream.nullOutputStream(), contentLength(head));
            answer(failureStatus);
            continue;
          }
          String requestLine = head.substring(0, head.indexOf("\r\n"));
          boolean blobGet = requestLine.startsWith("GET ") && requestLine.contains("/blobs/sha");
          if (blobGet && redirectsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            redirect(requestLine.split(" ")[1]);
            continue;
          }
          // Armed before the request goes on, or its answer could pass before the cut is armed.
          if (blobGet && cutsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            stall = stallInsteadOfCut;
            cutAt = cutAfter;
          } else {
            cutAt = -1;
          }
          out.write(head.getBytes(StandardCharsets.ISO_8859_1));
          copyBody(in, out, contentLength(head));
        }
        upstream.shutdownOutput();
      } catch (IOException e) {
        abort();
      }
    }

    void pumpResponses() {
      byte[] buf = new byte[8192];
      long sent = 0;
      long armedFor = -1;
      try (InputStream in = upstream.getInputStream(); OutputStream out = client.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          long limit = cutAt;
          if (limit != armedFor) {
            armedFor = limit;
            sent = 0;
          }
          java.util.concurrent.CountDownLatch hold = holdUntil;
          if (limit >= 0 && sent + n > limit && hold != null) {
            out.write(buf, 0, (int) (limit - sent));
            out.flush();
            cutAt = -1;
            holdUntil = null;
            held.countDown();
            awaitQuietly(hold);
            abort();
            return;
          }
          if (limit >= 0 && sent + n > limit) {
            out.write(buf, 0, (int) (limit - sent));
            out.flush();
            cutAt = -1;
            if (stall) {
              waitUntilClientCloses();
            }
            abort();
            return;
          }
          out.write(buf, 0, n);
          sent += n;
        }
        client.shutdownOutput();
      } catch (IOException e) {
        abort();
      }
    }

    private void awaitQuietly(java.util.concurrent.CountDownLatch latch) {
      try {
        latch.await(5, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void waitUntilClientCloses() {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
      while (!client.isClosed() && !closed && System.nanoTime() < deadline) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    private void redirect(String path) throws IOException {
      String head = "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:" + redirectPort + path
          + "\r\nContent-Length: 0\r\n\r\n";
      OutputStream out = client.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    private void answer(int status) throws IOException {
      byte[] body = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by the test proxy\"}]}"
          .getBytes(StandardCharsets.US_ASCII);
      String head = "HTTP/1.1 " + status + " Injected\r\nContent-Type: application/json\r\nContent-Length: "
          + body.length + "\r\n\r\n";
      OutputStream out = client.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
    }

    /** Resets both connections (RST: SO_LINGER 0). */
    void abort() {
      for (Socket s : List.of(client, upstream)) {
        try {
          s.setSoLinger(true, 0);
          s.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }

  /** Reads one request head; null at the end of the connection. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      last4 = (last4 << 8) | b;
      if (last4 == 0x0d0a0d0a) {
        return new String(head.toByteArray(), StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private static long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        return Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    return 0;
  }

  private static void copyBody(InputStream in, OutputStream out, long length) throws IOException {
    byte[] buf = new byte[8192];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new IOException("client closed in the middle of a request body");
      }
      out.write(buf, 0, n);
      left -= n;
    }
    out.flush();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
