package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.fuse.MountPrivileges;
import org.refcache.protocol.ControlSocket;

class DaemonConfigTest {
  @Test
  void defaultsAreTheDesignsPaths() {
    DaemonConfig c = DaemonConfig.resolve(null, null, null, Map.of());
    assertThat(c.root()).isEqualTo(Path.of("/var/lib/refcache"));
    assertThat(c.mountpoint()).isEqualTo(Path.of("/var/lib/refcache/mnt"));
    assertThat(c.socket()).isEqualTo(Path.of("/run/refcache/refcache.sock"));
  }

  @Test
  void environmentOverridesDefaultsAndTheMountpointFollowsTheRoot() {
    DaemonConfig c = DaemonConfig.resolve(null, null, null,
        Map.of("REFCACHE_ROOT", "/srv/cache", "REFCACHE_SOCKET", "/tmp/x.sock"));
    assertThat(c.root()).isEqualTo(Path.of("/srv/cache"));
    assertThat(c.mountpoint()).isEqualTo(Path.of("/srv/cache/mnt"));
    assertThat(c.socket()).isEqualTo(Path.of("/tmp/x.sock"));
  }

  @Test
  void optionsOverrideTheEnvironment() {
    Map<String, String> env = Map.of("REFCACHE_ROOT", "/env/root", "REFCACHE_MOUNTPOINT", "/env/mnt",
        "REFCACHE_SOCKET", "/env/sock");
    DaemonConfig c = DaemonConfig.resolve("/opt/root", "/opt/mnt", "/opt/sock", env);
    assertThat(c).isEqualTo(new DaemonConfig(Path.of("/opt/root"), Path.of("/opt/mnt"), Path.of("/opt/sock")));
    assertThat(DaemonConfig.resolve(null, null, null, env).mountpoint()).isEqualTo(Path.of("/env/mnt"));
  }

  @Test
  void clientSocketFollowsTheSameRule() {
    assertThat(ControlSocket.resolve(null, Map.of())).isEqualTo(Path.of("/run/refcache/refcache.sock"));
    assertThat(ControlSocket.resolve(null, Map.of("REFCACHE_SOCKET", "/a"))).isEqualTo(Path.of("/a"));
    assertThat(ControlSocket.resolve("/b", Map.of("REFCACHE_SOCKET", "/a"))).isEqualTo(Path.of("/b"));
  }

  @Test
  void theViewIsNosuidNodevUnlessAnOptionOrTheEnvironmentGrantsMore() {
    assertThat(DaemonConfig.resolve(null, null, null, Map.of()).view()).isEqualTo(MountPrivileges.NONE);
    assertThat(DaemonConfig.resolve(null, null, null, true, false, Map.of()).view())
        .isEqualTo(new MountPrivileges(true, false));
    assertThat(DaemonConfig.resolve(null, null, null, false, false,
        Map.of(DaemonConfig.VIEW_DEV_ENV, "1")).view()).isEqualTo(new MountPrivileges(false, true));
    assertThat(DaemonConfig.resolve(null, null, null, false, true,
        Map.of(DaemonConfig.VIEW_SUID_ENV, "0")).view()).isEqualTo(new MountPrivileges(false, true));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DaemonConfig.resolve(null, null, null, false, false,
        Map.of(DaemonConfig.VIEW_SUID_ENV, "true")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("REFCACHE_VIEW_SUID must be 1 or 0");
  }

  @Test
  void theTransportIsTheKernelsUnlessTheEnvironmentAsksForLibfuse() {
    assertThat(DaemonConfig.resolve(null, null, null, Map.of()).transport())
        .isEqualTo(org.refcache.fuse.FuseOptions.Transport.KERNEL);
    assertThat(DaemonConfig.resolve(null, null, null,
        Map.of(DaemonConfig.TRANSPORT_ENV, "libfuse")).transport())
        .isEqualTo(org.refcache.fuse.FuseOptions.Transport.LIBFUSE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> DaemonConfig.resolve(null, null, null,
        Map.of(DaemonConfig.TRANSPORT_ENV, "carrier-pigeon")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kernel or libfuse");
  }
}
