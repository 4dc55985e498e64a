package org.refcache.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.refcache.protocol.BoundedLineReader;
import org.refcache.protocol.ControlProtocol;
import org.refcache.protocol.ErrorKind;
import org.refcache.protocol.JsonValue;

/**
 * One connection to the service's control socket; sends requests and reads their answers, and gives up
 * when the service sends nothing for the timeout ({@link SilenceTimeout}).
 */
final class ControlClient implements AutoCloseable {
  /** Responses are not bounded by the request limit: listings of many refs are long. */
  private static final int MAX_RESPONSE_BYTES = 256 << 20;

  private final Path socket;
  private final SocketChannel channel;
  private final SilenceTimeout timeout;
  private final long timeoutSeconds;
  private BoundedLineReader reader;

  private ControlClient(Path socket, SocketChannel channel, Duration timeout) {
    this.socket = socket;
    this.channel = channel;
    this.timeout = new SilenceTimeout(timeout, () -> closeQuietly(channel));
    this.timeoutSeconds = timeout.toSeconds();
  }

  /**
   * Connects to {@code socket}; a missing or refusing socket means the service is not running.
   *
   * @param timeout how long to wait without hearing from the service; zero waits for ever
   */
  static ControlClient connect(Path socket, Duration timeout) throws CliFailure {
    SocketChannel c;
    try {
      c = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new CliFailure(1, "cannot open a socket: " + e.getMessage());
    }
    ControlClient client = new ControlClient(socket, c, timeout);
    try {
      // A service whose backlog is full and that does not accept blocks connect: the timeout covers it.
      client.timeout.waitFor("the connection to be accepted");
      c.connect(UnixDomainSocketAddress.of(socket));
      client.reader = new BoundedLineReader(Channels.newInputStream(c), MAX_RESPONSE_BYTES);
      return client;
    } catch (IOException e) {
      client.close();
      if (client.timeout.expired()) {
        throw client.timedOut();
      }
      if (e instanceof AccessDeniedException || (Files.exists(socket) && isPermission(e))) {
        throw new CliFailure(1, "cannot use the refcache daemon's socket " + socket + ": permission denied");
      }
      throw new CliFailure(1, "refcache daemon is not running (socket " + socket + ")");
    }
  }

  private static boolean isPermission(IOException e) {
    return e.getMessage() != null && e.getMessage().contains("Permission denied");
  }

  private CliFailure timedOut() {
    return new CliFailure(1, "the refcache daemon on " + socket + " sent nothing for " + timeoutSeconds
        + " s while this command waited for " + timeout.waitingFor() + "; it may be stopped or stuck"
        + " (--timeout or " + ClientOptions.TIMEOUT_ENV + " sets the wait in seconds, 0 for no limit)");
  }

  /**
   * Sends one request and returns its result.
   *
   * @param progress receives the progress messages sent before the result
   * @throws CliFailure when the service answers with an error (exit status by its kind), goes away or
   *     sends nothing for the timeout
   */
  JsonValue call(String op, JsonValue args, Consumer<JsonValue> progress) throws CliFailure {
    try {
      byte[] raw = JsonValue.object().put("v", ControlProtocol.VERSION).put("op", op).set("args", args).toBytes();
      ByteBuffer b = ByteBuffer.allocate(raw.length + 1).put(raw).put((byte) '\n').flip();
      timeout.waitFor("the service to read the " + op + " request");
      while (b.hasRemaining()) {
        channel.write(b);
      }
      timeout.waitFor("the answer to " + op);
      while (true) {
        BoundedLineReader.Line line = reader.next();
        timeout.alive();
        if (line == null) {
          throw new CliFailure(1, "the refcache daemon closed the connection without an answer");
        }
        if (!(line instanceof BoundedLineReader.Line.Text t)) {
          throw new CliFailure(1, "the refcache daemon's answer is too long");
        }
        JsonValue msg = JsonValue.parse(t.text());
        if (msg.has("heartbeat")) {
          continue; // the operation is still running
        }
        if (msg.has("progress")) {
          progress.accept(msg.path("progress"));
          continue;
        }
        if (msg.path("ok").asBoolean(false)) {
          JsonValue result = msg.path("result");
          return result.isMissingNode() ? JsonValue.nullValue() : result;
        }
        JsonValue error = msg.path("error");
        ErrorKind kind = ErrorKind.fromWire(error.path("kind").asText("other"));
        throw new CliFailure(kind.exitCode(), error.path("message").asText("the request failed"));
      }
    } catch (IOException e) {
      if (timeout.expired()) {
        throw timedOut();
      }
      throw new CliFailure(1, "talking to the refcache daemon failed: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    timeout.close();
    closeQuietly(channel);
  }

  private static void closeQuietly(SocketChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing left to tell the user
      }
    }
  }
}
