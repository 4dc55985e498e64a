package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Mounting;

class FuseOptionsTest {

  @Test
  void defaultsGiveOneDashOWithEveryOption() {
    List<String> args = FuseOptions.defaults().toFuseArgs();

    assertThat(args).hasSize(2).first().isEqualTo("-o");
    assertThat(args.get(1).split(",")).containsExactly("fsname=refcache", "subtype=refcache",
        "allow_other", "default_permissions", "nosuid", "nodev", "use_ino", "atomic_o_trunc", "big_writes",
        "max_write=131072", "max_read=131072", "entry_timeout=60", "attr_timeout=1",
        "negative_timeout=0");
  }

  /** Setuid programs and device nodes of a layer give no one root's rights unless asked for. */
  @Test
  void theViewIsNosuidAndNodevOnBothTransportsUnlessGranted() {
    FuseOptions defaults = FuseOptions.defaults();
    assertThat(defaults.mountFlags()).isEqualTo(Mounting.MS_NOSUID | Mounting.MS_NODEV);
    assertThat(defaults.toFuseArgs().get(1).split(",")).contains("nosuid", "nodev")
        .doesNotContain("suid", "dev");

    FuseOptions granted = defaults.withPrivileges(new MountPrivileges(true, true));
    assertThat(granted.mountFlags()).isZero();
    assertThat(granted.toFuseArgs().get(1).split(",")).contains("suid", "dev")
        .doesNotContain("nosuid", "nodev");
    FuseOptions devicesOnly = defaults.withPrivileges(new MountPrivileges(false, true));
    assertThat(devicesOnly.mountFlags()).isEqualTo(Mounting.MS_NOSUID);
    assertThat(devicesOnly.withTransport(FuseOptions.Transport.LIBFUSE).toFuseArgs().get(1)
        .split(",")).contains("nosuid", "dev");
  }

  @Test
  void timeoutsMayBeFractionsOfSeconds() {
    List<String> args = FuseOptions.defaults()
        .withTimeouts(Duration.ofMillis(1500), Duration.ZERO).toFuseArgs();

    assertThat(args.get(1)).contains("entry_timeout=1.5,attr_timeout=0,");
  }

  @Test
  void extraOptionsComeLastAndOneAtATime() {
    assertThat(FuseOptions.defaults().withExtraOptions(List.of("noatime")).toFuseArgs().get(1))
        .endsWith(",negative_timeout=0,noatime");
    assertThat(FuseOptions.defaults().withAutoUnmount(true).toFuseArgs().get(1))
        .endsWith(",auto_unmount");
    assertThatThrownBy(() -> FuseOptions.defaults().withExtraOptions(List.of("a,b")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FuseOptions.defaults().withLeaseCacheSize(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
