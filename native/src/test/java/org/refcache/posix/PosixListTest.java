package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixListTest {

  @TempDir
  Path dir;

  @Test
  void listsEveryNameButDotAndDotDot() throws Exception {
    for (int i = 0; i < 300; i++) {
      Files.writeString(dir.resolve("f" + i), "");
    }
    Files.createDirectory(dir.resolve("sub"));
    assertThat(Posix.list(dir)).hasSize(301).contains("f0", "f299", "sub")
        .doesNotContain(".", "..");
  }

  @Test
  void aTypedListingTellsDirectoriesFromOtherEntriesWithoutAStat() throws Exception {
    Files.writeString(dir.resolve("file"), "");
    Files.createDirectory(dir.resolve("sub"));
    Files.createSymbolicLink(dir.resolve("link"), dir.resolve("sub")); // not followed
    java.util.Map<String, Integer> types = new java.util.HashMap<>();

    Posix.listTyped(dir, types::put);

    // The test directory is on a filesystem that fills d_type in (tmpfs, ext4, xfs, btrfs).
    assertThat(types).containsOnlyKeys("file", "sub", "link");
    assertThat(types.get("sub")).isEqualTo(Posix.DT_DIR);
    assertThat(types.get("file")).isNotIn(Posix.DT_DIR, Posix.DT_UNKNOWN);
    assertThat(types.get("link")).isNotIn(Posix.DT_DIR, Posix.DT_UNKNOWN);
  }

  @Test
  void theEndOfTheDirectoryIsNotMistakenForTheLastCallsError() throws Exception {
    Files.writeString(dir.resolve("a"), "");
    // A failed call leaves errno set; readdir does not clear it at the end of the directory.
    assertThatThrownBy(() -> Posix.lstat(dir.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
    assertThat(Posix.list(dir)).containsExactly("a");
  }

  /** A listing is how the union trees look (a stat counts subdirectories): it must not show. */
  @Test
  void listingLeavesTheDirectoryAtimeAlone() throws Exception {
    Files.writeString(dir.resolve("a"), "");
    // atime older than mtime: relatime would update it on any read.
    Posix.utimens(dir, java.time.Instant.ofEpochSecond(1_500_000_000L),
        java.time.Instant.ofEpochSecond(1_600_000_000L), true);

    assertThat(Posix.list(dir)).containsExactly("a");

    assertThat(Posix.lstat(dir).atime()).isEqualTo(java.time.Instant.ofEpochSecond(1_500_000_000L));
  }

  @Test
  void aMissingDirectoryOrAFileIsAnError() throws Exception {
    assertThatThrownBy(() -> Posix.list(dir.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
    Path file = Files.writeString(dir.resolve("file"), "");
    assertThatThrownBy(() -> Posix.list(file)).isInstanceOf(NotDirectoryException.class);
  }

  @Test
  void deleteRemovesFilesAndEmptyDirectoriesAndLinkCopiesNothing() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    Posix.link(file, dir.resolve("second"));
    assertThat(Posix.lstat(file).nlink()).isEqualTo(2);
    Posix.delete(file);
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Posix.delete(sub);
    assertThat(Posix.list(dir)).containsExactly("second");
  }
}
