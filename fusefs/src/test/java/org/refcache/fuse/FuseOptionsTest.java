package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseOptionsTest {

  @Test
  void defaultsGiveOneDashOWithEveryOption() {
    List<String> args = FuseOptions.defaults().toFuseArgs();

    assertThat(args).hasSize(2).first().isEqualTo("-o");
    assertThat(args.get(1).split(",")).containsExactly("fsname=refcache", "subtype=refcache",
        "allow_other", "default_permissions", "suid", "dev", "use_ino", "atomic_o_trunc", "big_writes",
        "max_write=131072", "max_read=131072", "entry_timeout=60", "attr_timeout=1",
        "negative_timeout=0");
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
