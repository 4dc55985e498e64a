package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.daemon.DaemonConfig;
import org.refcache.fuse.MountPrivileges;
import picocli.CommandLine;

/** {@code refcache daemon}'s options as the service gets them (running it is DaemonProcessTest's). */
class DaemonCommandTest {

  private static DaemonConfig parse(Map<String, String> env, String... args) {
    Terminal t = new Terminal(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), env, false,
        java.io.OutputStream.nullOutputStream());
    DaemonCommand command = new DaemonCommand(t);
    new CommandLine(command).parseArgs(args);
    try {
      return command.config();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theGcPolicyComesFromTheConfigFileNamedByOptionOrEnvironment() throws Exception {
    Path file = java.nio.file.Files.createTempFile("refcache-config", ".toml");
    try {
      java.nio.file.Files.writeString(file, "[gc]\ninterval = \"30m\"\n");
      assertThat(parse(Map.of(), "--config", file.toString()).gcPolicy().interval())
          .isEqualTo(java.time.Duration.ofMinutes(30));
      assertThat(parse(Map.of("REFCACHE_CONFIG", file.toString())).gcPolicy().enabled()).isTrue();
      assertThat(parse(Map.of()).gcPolicy().enabled()).as("no file: off").isFalse();
    } finally {
      java.nio.file.Files.delete(file);
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse(Map.of(), "--config", file.toString()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
  }

  @Test
  void theViewIsNosuidNodevUnlessSuidOrDevIsGiven() {
    assertThat(parse(Map.of(), "--root", "/srv/c").view()).isEqualTo(MountPrivileges.NONE);
    assertThat(parse(Map.of(), "--suid").view()).isEqualTo(new MountPrivileges(true, false));
    assertThat(parse(Map.of(), "--dev").view()).isEqualTo(new MountPrivileges(false, true));
    DaemonConfig both = parse(Map.of(), "--root", "/srv/c", "--suid", "--dev");
    assertThat(both.view()).isEqualTo(new MountPrivileges(true, true));
    assertThat(both.mountpoint()).isEqualTo(Path.of("/srv/c/mnt"));
  }

  @Test
  void theEnvironmentGrantsTheSameAndABadValueIsAUsageError() {
    assertThat(parse(Map.of("REFCACHE_VIEW_SUID", "1", "REFCACHE_VIEW_DEV", "1")).view())
        .isEqualTo(new MountPrivileges(true, true));
    assertThat(parse(Map.of("REFCACHE_VIEW_SUID", "0", "REFCACHE_VIEW_DEV", "")).view())
        .isEqualTo(MountPrivileges.NONE);

    org.refcache.daemon.ServiceFixture.Run r =
        org.refcache.daemon.ServiceFixture.run(Map.of("REFCACHE_VIEW_DEV", "yes"), "daemon");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("REFCACHE_VIEW_DEV must be 1 or 0, not yes");
  }
}
