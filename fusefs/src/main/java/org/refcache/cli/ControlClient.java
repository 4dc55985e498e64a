package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.refcache.daemon.BoundedLineReader;
import org.refcache.daemon.ControlProtocol;
import org.refcache.daemon.ErrorKind;

/** One connection to the service's control socket; sends requests and reads their answers. */
final class ControlClient implements AutoCloseable {
  /** Responses are not bounded by the request limit: listings of many refs are long. */
  private static final int MAX_RESPONSE_BYTES = 256 << 20;

  private final SocketChannel channel;
  private final BoundedLineReader reader;

  private ControlClient(SocketChannel channel) {
    this.channel = channel;
    InputStream in = Channels.newInputStream(channel);
    this.reader = new BoundedLineReader(in, MAX_RESPONSE_BYTES);
  }

  /** Connects to {@code socket}; a missing or refusing socket means the service is not running. */
  static ControlClient connect(Path socket) throws CliFailure {
    SocketChannel c = null;
    try {
      c = SocketChannel.open(StandardProtocolFamily.UNIX);
      c.connect(UnixDomainSocketAddress.of(socket));
      return new ControlClient(c);
    } catch (IOException e) {
      closeQuietly(c);
      if (e instanceof AccessDeniedException || (Files.exists(socket) && isPermission(e))) {
        throw new CliFailure(1, "cannot use the refcache daemon's socket " + socket + ": permission denied");
      }
      throw new CliFailure(1, "refcache daemon is not running (socket " + socket + ")");
    }
  }

  private static boolean isPermission(IOException e) {
    return e.getMessage() != null && e.getMessage().contains("Permission denied");
  }

  /**
   * Sends one request and returns its result.
   *
   * @param progress receives the progress messages sent before the result
   * @throws CliFailure when the service answers with an error (exit status by its kind) or goes away
   */
  JsonNode call(String op, ObjectNode args, Consumer<JsonNode> progress) throws CliFailure {
    try {
      byte[] raw = ControlProtocol.JSON.writeValueAsBytes(ControlProtocol.request(op, args));
      ByteBuffer b = ByteBuffer.allocate(raw.length + 1).put(raw).put((byte) '\n').flip();
      while (b.hasRemaining()) {
        channel.write(b);
      }
      while (true) {
        BoundedLineReader.Line line = reader.next();
        if (line == null) {
          throw new CliFailure(1, "the refcache daemon closed the connection without an answer");
        }
        if (!(line instanceof BoundedLineReader.Line.Text t)) {
          throw new CliFailure(1, "the refcache daemon's answer is too long");
        }
        JsonNode msg = ControlProtocol.JSON.readTree(t.text());
        if (msg.has("progress")) {
          progress.accept(msg.get("progress"));
          continue;
        }
        if (msg.path("ok").asBoolean(false)) {
          return msg.get("result");
        }
        JsonNode error = msg.path("error");
        ErrorKind kind = ErrorKind.fromWire(error.path("kind").asText("other"));
        throw new CliFailure(kind.exitCode(), error.path("message").asText("the request failed"));
      }
    } catch (IOException e) {
      throw new CliFailure(1, "talking to the refcache daemon failed: " + e.getMessage());
    }
  }

  @Override
  public void close() {
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
