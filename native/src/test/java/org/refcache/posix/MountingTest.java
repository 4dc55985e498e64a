package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bind mounts for real (tests run as root); every mount is undone even when a test fails. */
class MountingTest {

  @TempDir
  Path dir;

  Path source;
  Path target;

  @BeforeEach
  void createDirectories() throws Exception {
    source = Files.createDirectory(dir.resolve("source"));
    target = Files.createDirectory(dir.resolve("target"));
    Files.writeString(source.resolve("hello.txt"), "hello");
  }

  /** A safety net behind each test's own finally: detach whatever is still mounted below dir. */
  @AfterEach
  void detachLeftoverMounts() throws IOException {
    for (Path mountPoint : mountPointsUnder(dir)) {
      Mounting.umount(mountPoint, Mounting.MNT_DETACH);
    }
    assertThat(mountPointsUnder(dir)).isEmpty();
  }

  @Test
  void bindMountShowsSourceThroughTarget() throws Exception {
    Mounting.bindMount(source, target, false);
    try {
      assertThat(Files.readString(target.resolve("hello.txt"))).isEqualTo("hello");
      Files.writeString(target.resolve("written.txt"), "through the bind");
      assertThat(Files.readString(source.resolve("written.txt"))).isEqualTo("through the bind");
      assertThat(mountPointsUnder(dir)).containsExactly(target);
    } finally {
      Mounting.umount(target, 0);
    }
    assertThat(Files.exists(target.resolve("hello.txt"))).isFalse();
  }

  @Test
  void readOnlyBindMountRefusesWritesWithErofs() throws Exception {
    Mounting.bindMount(source, target, true);
    try {
      assertThat(Files.readString(target.resolve("hello.txt"))).isEqualTo("hello");
      assertThat(Posix.statvfs(target).isReadOnly()).isTrue();

      assertThatThrownBy(() -> Descriptors.open(target.resolve("new.txt"),
          Posix.O_WRONLY | Posix.O_CREAT, 0644))
          .isInstanceOfSatisfying(NativeException.class,
              e -> assertThat(e.errno()).isEqualTo(Errno.EROFS));
      // java.nio reports EROFS as a plain FileSystemException; the mapper still recovers it.
      assertThatThrownBy(() -> Files.writeString(target.resolve("hello.txt"), "changed"))
          .isInstanceOfSatisfying(FileSystemException.class,
              e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EROFS));

      Files.writeString(source.resolve("still-writable.txt"), "yes");
      assertThat(Files.exists(target.resolve("still-writable.txt"))).isTrue();
    } finally {
      Mounting.umount(target, 0);
    }
  }

  @Test
  void bindMountIsNosuidAndNodevUnlessAskedOtherwise() throws Exception {
    Mounting.bindMount(source, target, false);
    try {
      assertThat(mountOptions(target)).contains("rw", "nosuid", "nodev");
    } finally {
      Mounting.umount(target, 0);
    }
    Mounting.bindMount(source, target, true);
    try {
      assertThat(mountOptions(target)).contains("ro", "nosuid", "nodev");
    } finally {
      Mounting.umount(target, 0);
    }
  }

  /** A bind copies the source mount's flags; the flags asked for replace them, clearing too. */
  @Test
  void bindMountOfANosuidNodevSourceGetsExactlyTheFlagsAskedFor() throws Exception {
    Mounting.mount("tmpfs", source, "tmpfs", Mounting.MS_NOSUID | Mounting.MS_NODEV, "mode=0755");
    try {
      assertThat(mountOptions(source)).contains("nosuid", "nodev");

      Mounting.bindMount(source, target, 0);
      try {
        assertThat(mountOptions(target)).contains("rw").doesNotContain("nosuid", "nodev");
      } finally {
        Mounting.umount(target, 0);
      }
      Mounting.bindMount(source, target, Mounting.MS_NODEV | Mounting.MS_RDONLY);
      try {
        assertThat(mountOptions(target)).contains("ro", "nodev").doesNotContain("nosuid");
      } finally {
        Mounting.umount(target, 0);
      }
    } finally {
      Mounting.umount(source, 0);
    }
  }

  @Test
  void bindMountRefusesFlagsItDoesNotSet() {
    assertThatThrownBy(() -> Mounting.bindMount(source, target, 8 /* MS_NOEXEC */))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Files.exists(target.resolve("hello.txt"))).isFalse();
  }

  @Test
  void bindMountOfMissingSourceFailsWithNoSuchFile() {
    assertThatThrownBy(() -> Mounting.bindMount(dir.resolve("missing"), target, false))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void umountOfPlainDirectoryFailsWithEinval() {
    assertThatThrownBy(() -> Mounting.umount(target, 0))
        .isInstanceOfSatisfying(NativeException.class,
            e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
  }

  @Test
  void lazyUmountDetachesBusyMount() throws Exception {
    Mounting.bindMount(source, target, false);
    int fd = Descriptors.open(target.resolve("hello.txt"), Posix.O_RDONLY, 0);
    try {
      Mounting.umount(target, Mounting.MNT_DETACH);
      assertThat(mountPointsUnder(dir)).isEmpty();
    } finally {
      assertThat(Descriptors.close(fd)).isZero();
    }
  }

  private static List<Path> mountPointsUnder(Path dir) throws IOException {
    List<Path> mountPoints = new ArrayList<>();
    for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
      // Field 5 is the mount point, with spaces and the like escaped as octal.
      Path mountPoint = Paths.get(unescape(line.split(" ")[4]));
      if (mountPoint.startsWith(dir)) {
        mountPoints.add(mountPoint);
      }
    }
    return mountPoints;
  }

  /** The per-mount options (field 6 of mountinfo) of the topmost mount at {@code mountPoint}. */
  private static List<String> mountOptions(Path mountPoint) throws IOException {
    List<String> options = null;
    for (String line : Files.readAllLines(Paths.get("/proc/self/mountinfo"))) {
      String[] fields = line.split(" ");
      if (Paths.get(unescape(fields[4])).equals(mountPoint)) {
        options = List.of(fields[5].split(","));
      }
    }
    assertThat(options).as("a mount at %s", mountPoint).isNotNull();
    return options;
  }

  private static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
