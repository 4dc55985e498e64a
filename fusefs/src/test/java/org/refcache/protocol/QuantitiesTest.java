package org.refcache.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {
  @Test
  void sizesTakeSiAndIecUnitsAndPlainBytes() {
    assertThat(Quantities.bytes("10GB")).isEqualTo(10_000_000_000L);
    assertThat(Quantities.bytes("512MiB")).isEqualTo(512L << 20);
    assertThat(Quantities.bytes("512Mi")).isEqualTo(512L << 20);
    assertThat(Quantities.bytes("1.5G")).isEqualTo(1_500_000_000L);
    assertThat(Quantities.bytes("1048576")).isEqualTo(1_048_576L);
    assertThat(Quantities.bytes("2 kb")).isEqualTo(2000);
    assertThat(Quantities.bytes("3TiB")).isEqualTo(3L << 40);
    for (String bad : new String[] {"", "GB", "10XB", "-1GB", "10ib", "1e3"}) {
      assertThatThrownBy(() -> Quantities.bytes(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a size");
    }
  }

  @Test
  void durationsTakeGoSyntaxDaysAndPlainSeconds() {
    assertThat(Quantities.duration("48h")).isEqualTo(Duration.ofHours(48));
    assertThat(Quantities.duration("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Quantities.duration("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Quantities.duration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Quantities.duration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Quantities.duration("3600")).isEqualTo(Duration.ofHours(1));
    for (String bad : new String[] {"", "h", "two days", "5y", "1h 30m"}) {
      assertThatThrownBy(() -> Quantities.duration(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a duration");
    }
  }

  @Test
  void peopleReadSizesAndAges() {
    assertThat(Quantities.humanBytes(12)).isEqualTo("12 B");
    assertThat(Quantities.humanBytes(1536)).isEqualTo("1.50 KiB");
    assertThat(Quantities.humanBytes(300L << 20)).isEqualTo("300 MiB");
    assertThat(Quantities.humanDuration(Duration.ofHours(3))).isEqualTo("3 hours");
    assertThat(Quantities.humanDuration(Duration.ofSeconds(65))).isEqualTo("About a minute");
  }
}
