package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Posix#lstatChild}: the same answer as {@code lstat} of the resolved path, null for a
 * missing name, for names of any bytes (paths too long for one system call: {@link ShortPathTest}).
 */
class PosixLstatChildTest {

  @TempDir
  Path dir;

  @Test
  void anEntryIsDescribedAsLstatOfItsPathDescribesIt() throws Exception {
    Files.writeString(dir.resolve("file"), "12345");
    Files.createSymbolicLink(dir.resolve("link"), dir.resolve("missing-target"));
    Files.createDirectory(dir.resolve("sub"));
    for (String name : new String[] {"file", "link", "sub"}) {
      assertThat(Posix.lstatChild(dir, name)).as(name).isEqualTo(Posix.lstat(dir.resolve(name)));
    }
    assertThat(Posix.lstatChild(dir, "link").isSymlink()).isTrue(); // not followed
  }

  @Test
  void aMissingNameIsNull() throws Exception {
    assertThat(Posix.lstatChild(dir, "missing")).isNull();
    assertThat(Posix.lstatChild(dir.resolve("no-such-dir"), "x")).isNull();
  }

  @Test
  void aNameOfSeveralBytesPerCharacterNamesTheSameFile() throws Exception {
    Path file = Files.writeString(dir.resolve("caf\u00e9"), "x"); // UTF-8 on disk: c3 a9
    String name = FileNames.fromText("caf\u00e9"); // the byte string: one char per byte
    assertThat(name).hasSize(5);
    Stat stat = Posix.lstatChild(dir, name);
    assertThat(stat).isNotNull();
    assertThat(stat.ino()).isEqualTo(Files.getAttribute(file, "unix:ino"));
    assertThat(Posix.lstatChild(dir, "caf\u00e9")).as("the char \u00e9 is the byte e9: another name")
        .isNull();
  }

  @Test
  void anEntryBelowAFileFailsWithItsErrno() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThatThrownBy(() -> Posix.lstatChild(file, "x"))
        .isInstanceOf(NotDirectoryException.class)
        .hasMessageContaining("file/x");
  }
}
