package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixRenameTest {

  @TempDir
  Path dir;

  @Test
  void noReplaceRefusesExistingTarget() throws Exception {
    Path from = Files.writeString(dir.resolve("from"), "new");
    Path to = Files.writeString(dir.resolve("to"), "old");
    assertThatThrownBy(() -> Posix.renameat2(from, to, Posix.RENAME_NOREPLACE))
        .isInstanceOfSatisfying(FileAlreadyExistsException.class, e -> {
          assertThat(e.getFile()).isEqualTo(from.toString());
          assertThat(e.getOtherFile()).isEqualTo(to.toString());
        });
    assertThat(Files.readString(to)).isEqualTo("old");
    assertThat(Files.readString(from)).isEqualTo("new");
  }

  @Test
  void noReplaceRenamesToFreeName() throws Exception {
    Path from = Files.writeString(dir.resolve("from"), "new");
    Path to = dir.resolve("to");
    Posix.renameat2(from, to, Posix.RENAME_NOREPLACE);
    assertThat(Files.readString(to)).isEqualTo("new");
    assertThat(Files.exists(from)).isFalse();
  }

  @Test
  void exchangeSwapsContents() throws Exception {
    Path a = Files.writeString(dir.resolve("a"), "A");
    Path b = Files.writeString(dir.resolve("b"), "B");
    Posix.renameat2(a, b, Posix.RENAME_EXCHANGE);
    assertThat(Files.readString(a)).isEqualTo("B");
    assertThat(Files.readString(b)).isEqualTo("A");
  }

  @Test
  void exchangeSwapsFileAndDirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "F");
    Path directory = Files.createDirectory(dir.resolve("directory"));
    Posix.renameat2(file, directory, Posix.RENAME_EXCHANGE);
    assertThat(Files.isDirectory(file)).isTrue();
    assertThat(Files.readString(directory)).isEqualTo("F");
  }

  @Test
  void exchangeWithMissingTargetFailsWithNoSuchFile() throws Exception {
    Path a = Files.writeString(dir.resolve("a"), "A");
    assertThatThrownBy(() -> Posix.renameat2(a, dir.resolve("missing"), Posix.RENAME_EXCHANGE))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void whiteoutLeavesCharDeviceZeroZeroAtSource() throws Exception {
    Path from = Files.writeString(dir.resolve("from"), "moved");
    Path to = dir.resolve("to");
    Posix.renameat2(from, to, Posix.RENAME_WHITEOUT);
    assertThat(Files.readString(to)).isEqualTo("moved");
    Stat whiteout = Posix.lstat(from);
    assertThat(whiteout.isCharDevice()).isTrue();
    assertThat(whiteout.rdev()).isZero();
    assertThat(whiteout.isWhiteout()).isTrue();
  }

  @Test
  void plainRenameReplacesTarget() throws Exception {
    Path from = Files.writeString(dir.resolve("from"), "new");
    Path to = Files.writeString(dir.resolve("to"), "old");
    Posix.renameat2(from, to, 0);
    assertThat(Files.readString(to)).isEqualTo("new");
    assertThat(Files.exists(from)).isFalse();
  }
}
