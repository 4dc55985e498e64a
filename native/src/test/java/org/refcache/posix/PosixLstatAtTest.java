package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Posix#lstatAt}: through a directory's descriptor, the same answer as {@code lstat} of the
 * entry's path; without a descriptor, the same as {@link Posix#lstatChild}.
 */
class PosixLstatAtTest {

  @TempDir
  Path dir;

  @Test
  void anEntryIsDescribedAsLstatOfItsPathDescribesIt() throws Exception {
    Files.writeString(dir.resolve("file"), "12345");
    Files.createSymbolicLink(dir.resolve("link"), dir.resolve("missing-target"));
    Files.createDirectory(dir.resolve("sub"));
    int fd = Posix.openDirectoryForStat(dir);
    assertThat(fd).isNotNegative();
    try {
      for (String name : new String[] {"file", "link", "sub"}) {
        assertThat(Posix.lstatAt(fd, dir, name)).as(name).isEqualTo(Posix.lstat(dir.resolve(name)));
      }
      assertThat(Posix.lstatAt(fd, dir, "link").isSymlink()).isTrue(); // not followed
      assertThat(Posix.lstatAt(fd, dir, "missing")).isNull();
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void theDescriptorNamesTheDirectoryNotItsPath() throws Exception {
    Path first = Files.createDirectory(dir.resolve("first"));
    Files.writeString(first.resolve("file"), "x");
    int fd = Posix.openDirectoryForStat(first);
    try {
      Files.move(first, dir.resolve("moved"));
      Files.createDirectory(first); // a new, empty directory at the old path

      assertThat(Posix.lstatAt(fd, first, "file")).isNotNull();
      assertThat(Posix.lstatChild(first, "file")).isNull();
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void withoutADescriptorTheEntryIsReadByItsPath() throws Exception {
    Files.writeString(dir.resolve("file"), "12345");

    assertThat(Posix.lstatAt(-1, dir, "file")).isEqualTo(Posix.lstat(dir.resolve("file")));
    assertThat(Posix.openDirectoryForStat(dir.resolve("missing"))).isEqualTo(-1);
  }

  @Test
  void anEntryBelowAFileIsAnError() throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    int fd = Posix.openDirectoryForStat(dir);
    try {
      assertThatThrownBy(() -> Posix.lstatAt(fd, dir, "file/x"))
          .isInstanceOf(NotDirectoryException.class);
    } finally {
      Descriptors.close(fd);
    }
  }
}
