package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.core.cache.PruneOptions;

class GcPolicyTest {
  @Test
  void aFileWithRulesGivesThemInOrderWithSizesResolvedAgainstTheFilesystem() {
    GcPolicy p = GcPolicy.parse("""
        [gc]
        interval = "30m"
        after-imports = "5GB"

        [[gc.rule]]
        filters = ["type==source.local", "type==exec.cachemount"]
        keep-duration = "48h"
        max-used-space = "512MB"

        [[gc.rule]]
        all = true
        reserved-space = "10%, 10GB"
        min-free-space = "20%"
        """, "test.toml");
    assertThat(p.enabled()).isTrue();
    assertThat(p.interval()).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.afterImports()).isEqualTo(5_000_000_000L);
    assertThat(p.rules()).hasSize(2);
    PruneOptions first = p.rules().get(0).options(1_000_000_000_000L);
    assertThat(first.all()).isFalse();
    assertThat(first.keepDuration()).isEqualTo(Duration.ofHours(48));
    assertThat(first.maxUsedSpace()).isEqualTo(512_000_000L);
    assertThat(first.filter().source()).containsExactly("type==source.local", "type==exec.cachemount");
    PruneOptions big = p.rules().get(1).options(1_000_000_000_000L); // 1 TB: 10% is more than 10 GB
    assertThat(big.all()).isTrue();
    assertThat(big.reservedSpace()).isEqualTo(10_000_000_000L);
    assertThat(big.minFreeSpace()).isEqualTo(200_000_000_000L);
    PruneOptions small = p.rules().get(1).options(50_000_000_000L); // 50 GB: 10% is 5 GB
    assertThat(small.reservedSpace()).isEqualTo(5_000_000_000L);
  }

  @Test
  void noRulesMeansBuildkitdsFourDefaults() {
    GcPolicy p = GcPolicy.parse("[gc]\n", "test.toml");
    assertThat(p.rules()).isEqualTo(GcPolicy.defaultRules());
    List<GcPolicy.Rule> rules = p.rules();
    assertThat(rules.get(0).filters()).containsExactly("type==source.local", "type==exec.cachemount",
        "type==source.git.checkout");
    assertThat(rules.get(1).keepDuration()).isEqualTo(Duration.ofDays(60));
    assertThat(rules.get(3).all()).isTrue();
    PruneOptions last = rules.get(3).options(200_000_000_000L); // 200 GB
    assertThat(last.maxUsedSpace()).isEqualTo(100_000_000_000L); // min(80%, 100 GB)
    assertThat(last.minFreeSpace()).isEqualTo(40_000_000_000L);
    assertThat(GcPolicy.parse("", "empty.toml").enabled()).as("no [gc] table: off").isFalse();
  }

  @Test
  void mistakesNameTheFileTheKeyAndWhy() {
    assertThatThrownBy(() -> GcPolicy.parse("[gc]\nintervall = \"1h\"\n", "c.toml"))
        .hasMessageContaining("c.toml").hasMessageContaining("unknown key gc.intervall");
    assertThatThrownBy(() -> GcPolicy.parse("[[gc.rule]]\nkeep-duration = \"soon\"\n", "c.toml"))
        .hasMessageContaining("gc.rule[1].keep-duration").hasMessageContaining("not a duration");
    assertThatThrownBy(() -> GcPolicy.parse("[[gc.rule]]\nfilters = [\"colour==red\"]\n", "c.toml"))
        .hasMessageContaining("gc.rule[1].filters").hasMessageContaining("unknown field");
    assertThatThrownBy(() -> GcPolicy.parse("[[gc.rule]]\nmax-used-space = \"120%\"\n", "c.toml"))
        .hasMessageContaining("max-used-space");
    assertThatThrownBy(() -> GcPolicy.parse("[gc\n", "c.toml")).hasMessageContaining("not valid TOML");
  }
}
