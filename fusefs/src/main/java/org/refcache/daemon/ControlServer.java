package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.refcache.posix.Printable;
import org.refcache.protocol.BoundedLineReader;
import org.refcache.protocol.ControlProtocol;
import org.refcache.protocol.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a Unix stream socket (mode 0660, group {@code refcache} when that group exists)
 * that reads {@link ControlProtocol} request lines and answers them, one thread per connection.
 *
 * <p>Every request line gets exactly one final line, an empty or malformed one included; while a
 * request runs, a heartbeat line goes out every {@link ControlProtocol#HEARTBEAT_INTERVAL} so that a client
 * can tell a long operation from a service that stopped ({@link Heartbeats}).
 *
 * <p>A connection's failure (malformed or oversized line, a peer that goes away) only ends that request
 * or that connection. {@link #close()} stops accepting, lets requests in progress finish for a while,
 * then closes every connection.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
  /** The group that may use the socket besides root. */
  public static final String GROUP = "refcache";
  private static final int MAX_CONNECTIONS = 512;
  private static final long DRAIN_SECONDS = 10;

  /** What answers a request line: {@link RequestHandler#handle} in the service. */
  @FunctionalInterface
  interface Handler {
    ObjectNode handle(String line, Consumer<JsonNode> progress);
  }

  private final Path path;
  private final ServerSocketChannel server;
  private final Handler handler;
  private final Heartbeats heartbeats;
  private final Thread acceptor;
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connectionCount = new AtomicInteger();
  /** Requests hold the read side; close() takes the write side to wait for them. */
  private final ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private ControlServer(Path path, ServerSocketChannel server, Handler handler, Duration heartbeatInterval) {
    this.path = path;
    this.server = server;
    this.handler = handler;
    this.heartbeats = new Heartbeats(heartbeatInterval);
    this.acceptor = new Thread(this::acceptLoop, "refcache-control-accept");
    this.acceptor.setDaemon(true);
  }

  /**
   * Listens on {@code path}. A socket file left by a previous service is replaced; if a live service
   * answers there, this fails instead.
   */
  public static ControlServer open(Path path, RequestHandler handler) throws IOException {
    return open(path, handler::handle, ControlProtocol.HEARTBEAT_INTERVAL);
  }

  /** {@link #open(Path, RequestHandler)} with any handler and heartbeat interval (tests). */
  static ControlServer open(Path path, Handler handler, Duration heartbeatInterval) throws IOException {
    Files.createDirectories(path.getParent());
    requireNoLiveService(path);
    Files.deleteIfExists(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path));
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
      setGroup(path);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    ControlServer s = new ControlServer(path, server, handler, heartbeatInterval);
    s.acceptor.start();
    LOG.info("control socket listening at {}", Printable.text(path.toString()));
    return s;
  }

  /** Fails when a service answers on {@code path}; a dead socket file is fine. */
  public static void requireNoLiveService(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    boolean answered;
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      answered = c.connect(UnixDomainSocketAddress.of(path));
    } catch (IOException e) {
      answered = false; // connection refused: a socket file left behind
    }
    if (answered) {
      throw new IOException("another refcache service is listening on " + path);
    }
  }

  private static void setGroup(Path path) throws IOException {
    GroupPrincipal group;
    try {
      group = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(GROUP);
    } catch (UserPrincipalNotFoundException e) {
      return;
    }
    Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(group);
  }

  public Path path() {
    return path;
  }

  private void acceptLoop() {
    int n = 0;
    while (!closed) {
      SocketChannel c;
      try {
        c = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("accept failed: {}", e.toString());
        }
        continue;
      }
      if (connectionCount.incrementAndGet() > MAX_CONNECTIONS) {
        connectionCount.decrementAndGet();
        refuse(c, "too many connections");
        continue;
      }
      connections.add(c);
      Thread t = new Thread(() -> serve(c), "refcache-control-" + (++n));
      t.setDaemon(true);
      t.start();
    }
  }

  private void refuse(SocketChannel c, String why) {
    try (c) {
      write(c, ControlProtocol.failure(ErrorKind.OTHER, why));
    } catch (IOException e) {
      LOG.debug("refusing a connection: {}", e.toString());
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      InputStream in = Channels.newInputStream(c);
      BoundedLineReader reader = new BoundedLineReader(in, ControlProtocol.MAX_LINE_BYTES);
      BoundedLineReader.Line line;
      while (!closed && (line = reader.next()) != null) {
        if (line instanceof BoundedLineReader.Line.TooLong t) {
          write(c, ControlProtocol.lineTooLong(t.bytes()));
          continue;
        }
        String text = ((BoundedLineReader.Line.Text) line).text();
        if (!inFlight.readLock().tryLock()) {
          write(c, ControlProtocol.failure(ErrorKind.OTHER, "the service is stopping"));
          return;
        }
        JsonNode response;
        Heartbeats.Beat beat = heartbeats.start(c, () -> write(c, ControlProtocol.heartbeat()));
        try {
          response = handler.handle(text, p -> {
            try {
              write(c, ControlProtocol.progress(p));
            } catch (IOException e) {
              throw new ClientGoneException(e);
            }
          });
        } finally {
          beat.stop();
          inFlight.readLock().unlock();
        }
        write(c, response);
      }
    } catch (ClosedChannelException e) {
      LOG.debug("connection closed");
    } catch (IOException | ClientGoneException e) {
      LOG.debug("connection ended: {}", Printable.line(e.toString()));
    } finally {
      connections.remove(c);
      connectionCount.decrementAndGet();
    }
  }

  private static void write(SocketChannel c, JsonNode message) throws IOException {
    byte[] raw = ControlProtocol.JSON.writeValueAsBytes(message);
    ByteBuffer b = ByteBuffer.allocate(raw.length + 1).put(raw).put((byte) '\n').flip();
    synchronized (c) {
      while (b.hasRemaining()) {
        c.write(b);
      }
    }
  }

  /** Stops accepting, waits up to 10 s for requests in progress, closes every connection, removes the socket. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.warn("closing the control socket: {}", e.toString());
    }
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
      // Kept once taken: requests arriving later are told the service is stopping.
      if (!inFlight.writeLock().tryLock(DRAIN_SECONDS, TimeUnit.SECONDS)) {
        LOG.warn("requests still running after {} s; closing their connections", DRAIN_SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    heartbeats.close();
    for (SocketChannel c : connections) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.debug("closing a connection: {}", e.toString());
      }
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", Printable.text(path.toString()), Printable.line(e.toString()));
    }
    LOG.info("control socket closed");
  }
}
