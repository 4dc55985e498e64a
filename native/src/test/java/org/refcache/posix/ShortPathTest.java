package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths longer than PATH_MAX reach the file through Posix's calls (and java.nio via ShortPath). */
class ShortPathTest {

  @TempDir
  Path dir;

  /** JUnit's clean-up of the temporary directory cannot delete paths over PATH_MAX; rm can. */
  @AfterEach
  void removeDeepTrees() throws Exception {
    Process rm = new ProcessBuilder("rm", "-rf", "--", dir.toString()).inheritIO().start();
    assertThat(rm.waitFor()).isZero();
    Files.createDirectory(dir);
  }

  /** Directories of 255-byte names until the path is over {@code length} bytes long. */
  private Path deepDirectory(int length) throws IOException {
    // Made one level at a time relative to the previous one, as a caller inside the tree would.
    Path deep = dir;
    while (deep.toString().length() < length) {
      deep = deep.resolve("d".repeat(255));
      try (ShortPath at = ShortPath.of(deep)) {
        Files.createDirectory(at.path());
      }
    }
    return deep;
  }

  @Test
  void anEntryBelowPathMaxIsDescribedByLstatChild() throws Exception {
    Path deep = deepDirectory(ShortPath.PATH_MAX + 10);
    int fd = Descriptors.open(deep.resolve("file"), Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY, 0640);
    Descriptors.close(fd);
    Stat stat = Posix.lstatChild(deep, "file");
    assertThat(stat).isNotNull();
    assertThat(stat.permissions()).isEqualTo(0640);
    assertThat(Posix.lstatChild(deep, "missing")).isNull();
  }

  @Test
  void aShortPathIsItsOwnName() throws Exception {
    Path file = dir.resolve("f");
    try (ShortPath at = ShortPath.of(file)) {
      assertThat(at.name()).isEqualTo(file.toString());
    }
  }

  @Test
  void filesBelowPathMaxAreMadeReadAndRemovedThroughTheirLongPath() throws Exception {
    Path deep = deepDirectory(ShortPath.PATH_MAX + 600);
    Path file = deep.resolve("file");
    assertThat(file.toString().getBytes(StandardCharsets.UTF_8).length)
        .isGreaterThan(ShortPath.PATH_MAX);

    int fd = Descriptors.open(file, Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY, 0640);
    Descriptors.close(fd);
    Posix.chmod(file, 0604);
    Posix.lchown(file, 12, 34);
    Xattrs.lsetxattr(file, "user.k", "v".getBytes(StandardCharsets.UTF_8), 0);
    Stat stat = Posix.lstat(file);
    assertThat(stat.permissions()).isEqualTo(0604);
    assertThat(stat.uid()).isEqualTo(12);
    assertThat(Xattrs.lgetxattr(file, "user.k")).hasValueSatisfying(
        v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("v"));
    assertThat(Xattrs.llistxattr(file)).contains("user.k");

    Path link = deep.resolve("link");
    Posix.symlink("file", link);
    assertThat(Posix.readlink(link)).isEqualTo("file");
    Path renamed = deep.resolve("renamed");
    Posix.renameat2(file, renamed, Posix.RENAME_NOREPLACE);
    assertThat(Posix.lstat(renamed).ino()).isEqualTo(stat.ino());

    try (ShortPath at = ShortPath.of(renamed)) {
      assertThat(at.name()).startsWith("/proc/self/fd/").endsWith("/renamed");
      Files.writeString(at.path(), "through java.nio");
      assertThat(Files.readString(at.path())).isEqualTo("through java.nio");
      Files.delete(at.path());
    }
    assertThatThrownBy(() -> Posix.lstat(renamed)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void aMissingDirectoryOnTheWayIsNoSuchFile() throws Exception {
    Path deep = deepDirectory(ShortPath.PATH_MAX + 10);
    Path missing = deep.resolve("gone").resolve("x".repeat(200)).resolve("file");
    assertThatThrownBy(() -> ShortPath.of(missing)).isInstanceOf(NoSuchFileException.class);
    assertRawLstatFails(missing, Errno.ENOENT);
  }

  @Test
  void aLastComponentOverNameMaxIsStillNameTooLong() throws Exception {
    Path deep = deepDirectory(ShortPath.PATH_MAX + 10);
    Path tooLong = deep.resolve("n".repeat(300));
    assertRawLstatFails(tooLong, Errno.ENAMETOOLONG);
  }

  /** lstat fails with {@code errno}, as the kernel's own call on the path would. */
  private static void assertRawLstatFails(Path path, int errno) {
    assertThatThrownBy(() -> Posix.lstat(path))
        .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(errno));
  }
}
