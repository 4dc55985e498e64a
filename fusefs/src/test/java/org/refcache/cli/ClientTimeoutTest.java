package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.daemon.ServiceFixture;

/**
 * The command against a socket that takes connections (the kernel queues them) but never answers, as a
 * stopped or stuck service does: it gives up after its timeout and says what it waited for.
 */
@Timeout(120)
class ClientTimeoutTest {
  @TempDir
  Path dir;

  private ServerSocketChannel silent;
  private Path socket;

  @BeforeEach
  void listenWithoutAnswering() throws Exception {
    socket = dir.resolve("silent.sock");
    silent = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    silent.bind(UnixDomainSocketAddress.of(socket));
  }

  @AfterEach
  void close() throws Exception {
    silent.close();
  }

  @Test
  void aServiceThatNeverAnswersIsGivenUpOnAfterTheTimeoutNamingWhatWasAwaited() {
    ServiceFixture.Run r = ServiceFixture.run(Map.of("REFCACHE_SOCKET", socket.toString()),
        "info", "--timeout", "1", "abc");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("refcache info: ")
        .contains(socket.toString(), "sent nothing for 1 s", "the answer to info", "--timeout");
  }

  @Test
  void theTimeoutComesFromTheEnvironmentAndTheOptionWins() {
    ServiceFixture.Run fromEnv = ServiceFixture.run(
        Map.of("REFCACHE_SOCKET", socket.toString(), "REFCACHE_TIMEOUT", "1"), "ls");
    ServiceFixture.Run optionWins = ServiceFixture.run(
        Map.of("REFCACHE_SOCKET", socket.toString(), "REFCACHE_TIMEOUT", "nonsense"), "ls", "--timeout", "1");

    assertThat(fromEnv.exit()).isEqualTo(1);
    assertThat(fromEnv.err()).contains("sent nothing for 1 s");
    assertThat(optionWins.exit()).isEqualTo(1);
    assertThat(optionWins.err()).contains("sent nothing for 1 s");
  }

  @Test
  void aTimeoutThatIsNotAWholeNumberOfSecondsIsAUsageError() {
    Map<String, String> env = Map.of("REFCACHE_SOCKET", socket.toString());

    ServiceFixture.Run option = ServiceFixture.run(env, "ls", "--timeout", "1.5");
    ServiceFixture.Run variable = ServiceFixture.run(
        Map.of("REFCACHE_SOCKET", socket.toString(), "REFCACHE_TIMEOUT", "-3"), "ls");

    assertThat(option.exit()).isEqualTo(2);
    assertThat(option.err()).contains("--timeout", "1.5");
    assertThat(variable.exit()).isEqualTo(2);
    assertThat(variable.err()).contains("REFCACHE_TIMEOUT", "-3");
  }
}
