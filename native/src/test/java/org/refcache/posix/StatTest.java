package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatTest {

  @TempDir
  Path dir;

  private static Stat withTimes(Instant atime, Instant mtime, Instant ctime) {
    return new Stat(1, 2, Posix.S_IFREG | 0644, 1, 0, 0, 0, 3, 4096, 8, atime, mtime, ctime);
  }

  @Test
  void timesGivenAsInstantsComeBackEqualIncludingBeforeTheEpoch() {
    Instant atime = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);
    Instant mtime = Instant.ofEpochSecond(-86_400L * 365, 999_999_999);
    Instant ctime = Instant.EPOCH;
    Stat stat = withTimes(atime, mtime, ctime);

    assertThat(stat.atime()).isEqualTo(atime);
    assertThat(stat.mtime()).isEqualTo(mtime);
    assertThat(stat.ctime()).isEqualTo(ctime);
    assertThat(stat.mtimeSeconds()).isEqualTo(-86_400L * 365);
    assertThat(stat.mtimeNanos()).isEqualTo(999_999_999);
  }

  @Test
  void statsWithEqualTimesAreEqualAndTheCtimeComparesByValue() {
    Stat one = withTimes(Instant.ofEpochSecond(5, 6), Instant.ofEpochSecond(7, 8),
        Instant.ofEpochSecond(9, 10));
    Stat other = withTimes(Instant.ofEpochSecond(5, 6), Instant.ofEpochSecond(7, 8),
        Instant.ofEpochSecond(9, 10));

    assertThat(other).isEqualTo(one).hasSameHashCodeAs(one);
    assertThat(one.ctimeIs(9, 10)).isTrue();
    assertThat(one.ctimeIs(9, 11)).isFalse();
    assertThat(one.with(one.ino(), 3, 11, 12))
        .isEqualTo(new Stat(1, 2, Posix.S_IFREG | 0644, 3, 0, 0, 0, 3, 4096, 8,
            5, 6, 7, 8, 11, 12));
  }

  @Test
  void lstatGivesTheNanosecondsThatWereSet() throws Exception {
    Path file = Files.createFile(dir.resolve("f"));
    Instant atime = Instant.ofEpochSecond(1_600_000_000L, 111_222_333);
    Instant mtime = Instant.ofEpochSecond(1_500_000_000L, 444_555_666);
    Posix.utimens(file, atime, mtime, true);

    Stat stat = Posix.lstat(file);

    assertThat(stat.atime()).isEqualTo(atime);
    assertThat(stat.mtime()).isEqualTo(mtime);
    assertThat(stat.mtimeNanos()).isEqualTo(444_555_666);
  }
}
