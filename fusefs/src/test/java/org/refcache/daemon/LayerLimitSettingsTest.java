package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.layer.LayerLimits;

/** The daemon's layer limits: options over environment over defaults, sizes with suffixes. */
class LayerLimitSettingsTest {
  @TempDir
  Path dir;

  @Test
  void nothingGivenIsTheDefaults() {
    assertThat(LayerLimitSettings.resolve(null, null, null, null, Map.of()))
        .isEqualTo(LayerLimits.DEFAULTS);
  }

  @Test
  void anOptionWinsOverItsVariableWhichWinsOverTheDefault() {
    Map<String, String> env = Map.of(LayerLimitSettings.SIZE_ENV, "2G",
        LayerLimitSettings.RATIO_ENV, "50", LayerLimitSettings.ENTRIES_ENV, "1000",
        LayerLimitSettings.HEADER_ENV, "64KiB");

    LayerLimits limits = LayerLimitSettings.resolve("512M", null, "7", null, env);

    assertThat(limits.maxSize()).isEqualTo(512L << 20);
    assertThat(limits.maxRatio()).isEqualTo(50);
    assertThat(limits.maxEntries()).isEqualTo(7);
    assertThat(limits.maxHeaderSize()).isEqualTo(64L << 10);
    assertThat(limits.ratioFloor()).isEqualTo(LayerLimits.DEFAULTS.ratioFloor());
  }

  @Test
  void sizesTakeBinarySuffixes() {
    assertThat(LayerLimitSettings.parseSize("1048576")).isEqualTo(1 << 20);
    assertThat(LayerLimitSettings.parseSize("1k")).isEqualTo(1024);
    assertThat(LayerLimitSettings.parseSize("3 MiB")).isEqualTo(3L << 20);
    assertThat(LayerLimitSettings.parseSize("64G")).isEqualTo(64L << 30);
    assertThat(LayerLimitSettings.parseSize("2TB")).isEqualTo(2L << 40);
    assertThat(LayerLimitSettings.parseSize("lots")).isEqualTo(-1);
    assertThat(LayerLimitSettings.parseSize("99999999999T")).isEqualTo(-1);
  }

  @Test
  void aBadValueIsRefusedNamingTheOptionAndItsVariable() {
    assertThatThrownBy(() -> LayerLimitSettings.resolve("lots", null, null, null, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--max-layer-size (REFCACHE_MAX_LAYER_SIZE) must be a positive size such as"
            + " 64G, 512M or 1048576, not \"lots\"");
    assertThatThrownBy(() -> LayerLimitSettings.resolve(null, null, null, null,
        Map.of(LayerLimitSettings.RATIO_ENV, "0")))
        .hasMessageContaining("--max-layer-ratio (REFCACHE_MAX_LAYER_RATIO) must be a positive"
            + " whole number, not \"0\"");
    assertThatThrownBy(() -> LayerLimitSettings.resolve(null, null, null, "100", Map.of()))
        .hasMessageContaining("max-tar-header must be at least 512 bytes");
  }

  @Test
  void theDaemonRefusesABadLimitAsAUsageErrorBeforeStartingAnything() {
    ServiceFixture.Run r = ServiceFixture.run(Map.of(), "daemon", "--root",
        dir.resolve("root").toString(), "--socket", dir.resolve("sock").toString(),
        "--max-layer-entries", "many");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--max-layer-entries (REFCACHE_MAX_LAYER_ENTRIES) must be a"
        + " positive whole number, not \"many\"");
    assertThat(dir.resolve("root")).doesNotExist();
  }
}
