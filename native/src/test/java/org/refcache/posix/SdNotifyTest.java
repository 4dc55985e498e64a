package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdNotifyTest {

  @TempDir
  Path dir;

  @Test
  void notifySendsStateToSocketPath() throws Exception {
    String socket = dir.resolve("notify.sock").toString();
    try (UnixDatagramReceiver receiver = new UnixDatagramReceiver(socket)) {
      assertThat(SdNotify.notify(socket, "READY=1")).isTrue();
      assertThat(receiver.receive()).isEqualTo("READY=1");
    }
  }

  @Test
  void notifySendsStateToAbstractSocket() throws Exception {
    String socket = "@refcache-test-" + UUID.randomUUID();
    try (UnixDatagramReceiver receiver = new UnixDatagramReceiver(socket)) {
      assertThat(SdNotify.notify(socket, "STATUS=serving\nREADY=1")).isTrue();
      assertThat(receiver.receive()).isEqualTo("STATUS=serving\nREADY=1");
    }
  }

  @Test
  void notifyReturnsFalseWithoutSocket() throws Exception {
    assertThat(SdNotify.notify(null, "READY=1")).isFalse();
    assertThat(SdNotify.notify("", "READY=1")).isFalse();
  }

  @Test
  void notifyReturnsFalseWhenNotifySocketIsUnset() throws Exception {
    // Under systemd this would really notify the service manager: only run outside it.
    assumeTrue(System.getenv(SdNotify.NOTIFY_SOCKET) == null);
    assertThat(SdNotify.notify("READY=1")).isFalse();
  }

  @Test
  void notifyToMissingSocketFailsWithNoSuchFile() {
    String socket = dir.resolve("absent.sock").toString();
    assertThatThrownBy(() -> SdNotify.notify(socket, "READY=1"))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(socket);
  }

  @Test
  void notifyRejectsRelativeSocketName() {
    assertThatThrownBy(() -> SdNotify.notify("relative.sock", "READY=1"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
