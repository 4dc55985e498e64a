package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.refcache.protocol.ControlProtocol;

/** The control socket's wire protocol, spoken by hand to a real service. */
class ControlSocketTest {
  private static ServiceFixture svc;
  private SocketChannel channel;
  private BufferedReader in;

  @BeforeAll
  static void startService() throws Exception {
    svc = ServiceFixture.start();
  }

  @AfterAll
  static void stopService() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  @BeforeEach
  void connect() throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(svc.socket));
    in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
  }

  @AfterEach
  void disconnect() throws IOException {
    channel.close();
  }

  private void send(String line) throws IOException {
    send(line.getBytes(StandardCharsets.UTF_8));
    send(new byte[] {'\n'});
  }

  private void send(byte[] raw) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(raw);
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  private JsonNode receive() throws IOException {
    String line = in.readLine();
    assertThat(line).as("a response line").isNotNull();
    JsonNode n = ControlProtocol.JSON.readTree(line);
    assertThat(n.path("v").asInt()).isEqualTo(ControlProtocol.VERSION);
    return n;
  }

  /** The answer to a request, past its progress lines (ls streams one per ref the service has). */
  private JsonNode receiveAnswer() throws IOException {
    JsonNode n;
    do {
      n = receive();
    } while (n.has("progress"));
    return n;
  }

  private void assertFailure(JsonNode n, String kind, String messagePart) {
    assertThat(n.path("ok").asBoolean(true)).isFalse();
    assertThat(n.path("error").path("kind").asText()).isEqualTo(kind);
    assertThat(n.path("error").path("message").asText()).contains(messagePart);
  }

  private void assertServesNextRequest() throws IOException {
    send("{\"v\":1,\"op\":\"ls\",\"args\":{}}");
    JsonNode ok = receiveAnswer();
    assertThat(ok.path("ok").asBoolean()).isTrue();
    assertThat(ok.path("result").path("refs").isNumber()).as("ls answers with the count of the refs it streamed").isTrue();
  }

  @Test
  void malformedLineGetsAUsageErrorAndTheNextRequestIsServed() throws IOException {
    send("{this is not json");

    assertFailure(receive(), "usage", "malformed");
    assertServesNextRequest();
  }

  @Test
  void oversizedLineGetsAUsageErrorAndTheNextRequestIsServed() throws IOException {
    byte[] huge = new byte[ControlProtocol.MAX_LINE_BYTES + 4096];
    Arrays.fill(huge, (byte) 'x');
    send(huge);
    send(new byte[] {'\n'});

    assertFailure(receive(), "usage", "exceeds");
    assertServesNextRequest();
  }

  @Test
  @Timeout(30) // a line left unanswered would block the read for ever: fail instead
  void emptyAndBlankLinesGetAUsageErrorEach() throws IOException {
    send("");
    assertFailure(receive(), "usage", "empty request line");
    send(" \t\r");
    assertFailure(receive(), "usage", "empty request line");
    assertServesNextRequest();
  }

  @Test
  void lineOfExactlyTheLimitIsRead() throws IOException {
    String pad = " ".repeat(ControlProtocol.MAX_LINE_BYTES - "{\"v\":1,\"op\":\"ls\"}".length());
    send("{\"v\":1,\"op\":\"ls\"}" + pad);

    assertThat(receiveAnswer().path("ok").asBoolean()).isTrue();
  }

  @Test
  void requestsThatAreNotRequestsGetUsageErrors() throws IOException {
    send("[1,2,3]");
    assertFailure(receive(), "usage", "not a JSON object");
    send("{\"v\":99,\"op\":\"ls\"}");
    assertFailure(receive(), "usage", "protocol version");
    send("{\"op\":\"ls\"}");
    assertFailure(receive(), "usage", "protocol version");
    send("{\"v\":1,\"op\":\"frobnicate\"}");
    assertFailure(receive(), "usage", "unknown operation");
    send("{\"v\":1,\"op\":\"info\",\"args\":{\"id\":42}}");
    assertFailure(receive(), "usage", "must be a string");
    send("{\"v\":1,\"op\":\"import\",\"args\":{\"file\":\"relative.tar\"}}");
    assertFailure(receive(), "usage", "absolute");
    send("{\"v\":1,\"op\":\"info\",\"args\":{\"id\":\"nosuchref\"}}");
    assertFailure(receive(), "not_found", "nosuchref");
    assertServesNextRequest();
  }

  @Test
  void aClientThatLeavesMidLineDoesNotHarmTheService() throws IOException {
    send("{\"v\":1,\"op\":".getBytes(StandardCharsets.UTF_8));
    channel.close();

    connect();
    assertServesNextRequest();
  }

  @Test
  void importStreamsProgressBeforeItsResult() throws IOException {
    Path tar = svc.dir.resolve("progress.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("p", "p\n")));

    send("{\"v\":1,\"op\":\"import\",\"args\":{\"file\":\"" + tar + "\"}}");

    List<JsonNode> lines = new ArrayList<>();
    JsonNode n;
    do {
      n = receive();
      lines.add(n);
    } while (n.has("progress"));
    assertThat(lines).hasSizeGreaterThan(1);
    JsonNode lastProgress = lines.get(lines.size() - 2).get("progress");
    assertThat(lastProgress.path("bytes").asLong()).isEqualTo(Files.size(tar));
    assertThat(lastProgress.path("total").asLong()).isEqualTo(Files.size(tar));
    assertThat(n.path("result").path("id").asText()).matches("[0-9a-z]{25}");
  }

  @Test
  void socketIsReadableAndWritableByOwnerAndGroupOnly() throws IOException {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(svc.socket))).isEqualTo("rw-rw----");
  }

  @Test
  void aSecondServiceOnTheSameSocketIsRefused() {
    DaemonConfig other = new DaemonConfig(svc.dir.resolve("root2"), svc.dir.resolve("mnt2"), svc.socket);

    assertThatThrownBy(() -> Daemon.start(other)).isInstanceOf(IOException.class)
        .hasMessageContaining("another refcache service");
  }
}
