package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.protocol.ControlProtocol;
import org.refcache.protocol.ErrorKind;

/**
 * Heartbeats: a request that runs long keeps its connection alive, so the client's timeout (time without
 * any line) cuts only a service that stopped answering. The control server runs with a handler that
 * blocks until the test lets it go.
 */
@Timeout(120)
class HeartbeatTest {
  private static final Duration INTERVAL = Duration.ofMillis(50);

  @TempDir
  Path dir;

  private final CountDownLatch release = new CountDownLatch(1);
  private ControlServer server;
  private Path socket;

  @BeforeEach
  void open() throws IOException {
    socket = dir.resolve("control.sock");
    server = ControlServer.open(socket, this::slowAnswer, INTERVAL);
  }

  @AfterEach
  void close() {
    release.countDown();
    server.close();
  }

  /** Answers {@code {"answer": <op>}} once {@link #release} is counted down, or at once for "quick". */
  private ObjectNode slowAnswer(String line, java.util.function.Consumer<JsonNode> progress) {
    try {
      String op = ControlProtocol.JSON.readTree(line).path("op").asText();
      if (!op.equals("quick")) {
        release.await();
      }
      ObjectNode r = ControlProtocol.object();
      r.put("answer", op);
      return ControlProtocol.success(r);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ControlProtocol.failure(ErrorKind.OTHER, "interrupted");
    }
  }

  @Test
  void aRunningRequestGetsHeartbeatsAndNoneComesAfterItsAnswer() throws Exception {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
      send(c, "{\"v\":1,\"op\":\"slow\"}");

      for (int i = 0; i < 3; i++) {
        JsonNode beat = ControlProtocol.JSON.readTree(in.readLine());
        assertThat(beat.path("v").asInt()).isEqualTo(ControlProtocol.VERSION);
        assertThat(beat.path("heartbeat").asBoolean()).isTrue();
      }
      release.countDown();
      JsonNode n;
      do {
        n = ControlProtocol.JSON.readTree(in.readLine());
      } while (n.has("heartbeat"));
      assertThat(n.path("result").path("answer").asText()).isEqualTo("slow");

      // Heartbeats that were due must not trail the answer: the next line is the next request's answer.
      Thread.sleep(INTERVAL.toMillis() * 4);
      send(c, "{\"v\":1,\"op\":\"quick\"}");
      assertThat(ControlProtocol.JSON.readTree(in.readLine()).path("result").path("answer").asText())
          .isEqualTo("quick");
    }
  }

  @Test
  void theClientWaitsPastItsTimeoutWhileHeartbeatsArrive() throws Exception {
    Thread letGo = new Thread(() -> {
      try {
        Thread.sleep(3_000); // three times the client's timeout below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      release.countDown();
    });
    letGo.start();

    ServiceFixture.Run r = ServiceFixture.run(Map.of(DaemonConfig.SOCKET_ENV, socket.toString()),
        "info", "some-ref", "--timeout", "1", "--format", "json");

    letGo.join();
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("\"answer\" : \"info\"");
  }

  private static void send(SocketChannel c, String line) throws IOException {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      c.write(b);
    }
  }
}
