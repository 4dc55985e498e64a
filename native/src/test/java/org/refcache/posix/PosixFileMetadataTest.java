package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ownership, modes, device nodes, times and lstat on real files (tests run as root). */
class PosixFileMetadataTest {

  @TempDir
  Path dir;

  @Test
  void lchownChangesOwnerOfFile() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Posix.lchown(file, 1234, 5678);
    Stat stat = Posix.lstat(file);
    assertThat(stat.uid()).isEqualTo(1234);
    assertThat(stat.gid()).isEqualTo(5678);
    assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(1234);
  }

  @Test
  void lchownChangesOwnerOfSymlinkNotTarget() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    Posix.lchown(link, 1234, 5678);
    assertThat(Posix.lstat(link).uid()).isEqualTo(1234);
    assertThat(Posix.lstat(link).gid()).isEqualTo(5678);
    assertThat(Posix.lstat(target).uid()).isZero();
    assertThat(Posix.lstat(target).gid()).isZero();
  }

  @Test
  void lstatOrNullIsNullOnlyWhereNothingIs() throws Exception {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertThat(Posix.lstatOrNull(dir.resolve("missing"))).isNull();
    assertThat(Posix.lstatOrNull(file).ino()).isEqualTo(Posix.lstat(file).ino());
    assertThat(Posix.lstatOrNull(file).size()).isEqualTo(1);
    // Through a file is ENOTDIR, not "nothing there": still an exception.
    assertThatThrownBy(() -> Posix.lstatOrNull(file.resolve("child")))
        .isInstanceOf(java.nio.file.NotDirectoryException.class);
  }

  @Test
  void lchownOfMissingFileFailsWithNoSuchFile() {
    Path missing = dir.resolve("missing");
    assertThatThrownBy(() -> Posix.lchown(missing, 1, 1))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("lchown")
        .hasMessageContaining("ENOENT");
  }

  @Test
  void chmodSetsSetuidSetgidAndSticky() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Posix.chmod(file, 06755);
    assertThat(Posix.lstat(file).permissions()).isEqualTo(06755);
    assertThat(Posix.lstat(file).mode()).isEqualTo(Posix.S_IFREG | 06755);

    Path sticky = Files.createDirectory(dir.resolve("tmp"));
    Posix.chmod(sticky, 01777);
    assertThat(Posix.lstat(sticky).permissions()).isEqualTo(01777);
    assertThat(Posix.lstat(sticky).isDirectory()).isTrue();
  }

  @Test
  void chmodFollowsSymlinks() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);
    Posix.chmod(link, 0600);
    assertThat(Posix.lstat(target).permissions()).isEqualTo(0600);
    assertThat(Posix.lstat(link).isSymlink()).isTrue();
  }

  @Test
  void mknodCreatesFifo() throws Exception {
    Path fifo = dir.resolve("fifo");
    Posix.mknod(fifo, Posix.S_IFIFO | 0644, 0);
    Stat stat = Posix.lstat(fifo);
    assertThat(stat.isFifo()).isTrue();
    assertThat(stat.type()).isEqualTo(Posix.S_IFIFO);
    assertThat(stat.isRegularFile()).isFalse();
  }

  @Test
  void mknodCreatesWhiteoutCharDevice() throws Exception {
    Path whiteout = dir.resolve("wh");
    Posix.mknod(whiteout, Posix.S_IFCHR, Posix.makedev(0, 0));
    Stat stat = Posix.lstat(whiteout);
    assertThat(stat.isCharDevice()).isTrue();
    assertThat(stat.rdev()).isZero();
    assertThat(stat.isWhiteout()).isTrue();
  }

  @Test
  void mknodCreatesCharDeviceWithMajorAndMinor() throws Exception {
    Path devNull = dir.resolve("null");
    Posix.mknod(devNull, Posix.S_IFCHR | 0666, Posix.makedev(1, 3));
    Stat stat = Posix.lstat(devNull);
    assertThat(stat.isCharDevice()).isTrue();
    assertThat(stat.isWhiteout()).isFalse();
    assertThat(Posix.major(stat.rdev())).isEqualTo(1);
    assertThat(Posix.minor(stat.rdev())).isEqualTo(3);
    assertThat(Files.getAttribute(devNull, "unix:rdev", LinkOption.NOFOLLOW_LINKS))
        .isEqualTo(stat.rdev());
  }

  @Test
  void mknodCreatesEmptyRegularFile() throws Exception {
    Path file = dir.resolve("plain");
    Posix.mknod(file, Posix.S_IFREG | 0600, 0);
    assertThat(Posix.lstat(file).isRegularFile()).isTrue();
    assertThat(Files.size(file)).isZero();
  }

  @Test
  void mknodOverExistingFileFailsWithFileAlreadyExists() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertThatThrownBy(() -> Posix.mknod(file, Posix.S_IFIFO | 0600, 0))
        .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
  }

  @Test
  void mkfifoCreatesFifo() throws Exception {
    Path fifo = dir.resolve("fifo");
    Posix.mkfifo(fifo, 0600);
    assertThat(Posix.lstat(fifo).isFifo()).isTrue();
    assertThat(Posix.lstat(fifo).permissions()).isEqualTo(0600);
    assertThat(Files.isRegularFile(fifo)).isFalse();
  }

  @Test
  void utimensSetsNanosecondTimes() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Instant atime = Instant.ofEpochSecond(1_500_000_000L, 987_654_321);
    Instant mtime = Instant.ofEpochSecond(1_600_000_000L, 123_456_789);
    Posix.utimens(file, atime, mtime, false);
    Stat stat = Posix.lstat(file);
    assertThat(stat.atime()).isEqualTo(atime);
    assertThat(stat.mtime()).isEqualTo(mtime);
    assertThat(Files.getLastModifiedTime(file).toInstant()).isEqualTo(mtime);
  }

  @Test
  void utimensKeepsTimesBeforeTheEpoch() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Instant mtime = Instant.parse("1969-07-20T20:17:40.000000001Z");
    Posix.utimens(file, null, mtime, false);
    assertThat(Posix.lstat(file).mtime()).isEqualTo(mtime);
  }

  @Test
  void utimensWithNullLeavesThatTimeUnchanged() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Instant atime = Instant.ofEpochSecond(1_000_000_000L, 1);
    Instant mtime = Instant.ofEpochSecond(1_100_000_000L, 2);
    Posix.utimens(file, atime, mtime, false);

    Posix.utimens(file, null, Instant.ofEpochSecond(1_200_000_000L, 3), false);
    assertThat(Posix.lstat(file).atime()).isEqualTo(atime);
    Posix.utimens(file, Instant.ofEpochSecond(1_300_000_000L, 4), null, false);
    assertThat(Posix.lstat(file).mtime()).isEqualTo(Instant.ofEpochSecond(1_200_000_000L, 3));
  }

  @Test
  void utimensNoFollowChangesSymlinkNotTarget() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "x");
    Instant targetMtime = Instant.ofEpochSecond(1_400_000_000L, 5);
    Posix.utimens(target, targetMtime, targetMtime, false);
    Path link = Files.createSymbolicLink(dir.resolve("link"), target);

    Instant linkMtime = Instant.ofEpochSecond(1_234_567_890L, 999_999_999);
    Posix.utimens(link, linkMtime, linkMtime, true);

    assertThat(Posix.lstat(link).mtime()).isEqualTo(linkMtime);
    assertThat(Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS).toInstant())
        .isEqualTo(linkMtime);
    assertThat(Posix.lstat(target).mtime()).isEqualTo(targetMtime);
  }

  @Test
  void lstatDescribesSymlinkItself() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "hello");
    Path link = Files.createSymbolicLink(dir.resolve("link"), Paths.get("target"));
    Stat stat = Posix.lstat(link);
    assertThat(stat.isSymlink()).isTrue();
    assertThat(stat.size()).isEqualTo("target".length());
    assertThat(stat.ino()).isEqualTo(Files.getAttribute(link, "unix:ino", LinkOption.NOFOLLOW_LINKS));
    assertThat(Posix.lstat(target).size()).isEqualTo(5);
    assertThat(Posix.lstat(target).nlink()).isEqualTo(1);
  }

  @Test
  void lstatMatchesJavaNioAttributes() throws Exception {
    Path file = Files.write(dir.resolve("f"), new byte[10_000]);
    Stat stat = Posix.lstat(file);
    assertThat(stat.size()).isEqualTo(10_000);
    assertThat(stat.dev()).isEqualTo(Files.getAttribute(file, "unix:dev"));
    assertThat(stat.ino()).isEqualTo(Files.getAttribute(file, "unix:ino"));
    assertThat(stat.mode()).isEqualTo(Files.getAttribute(file, "unix:mode"));
    assertThat(stat.ctime()).isEqualTo(
        ((java.nio.file.attribute.FileTime) Files.getAttribute(file, "unix:ctime")).toInstant());
    assertThat(stat.blksize()).isPositive();
    assertThat(stat.blocks()).isPositive();
  }

  @Test
  void lstatOfAMissingFileIsNoSuchFile() {
    assertThatThrownBy(() -> Posix.lstat(dir.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
  }

  /** lstat fills one buffer per thread: each call's answer is its own file's, also in threads. */
  @Test
  void lstatAnswersStayTheirOwnFilesAcrossCallsAndThreads() throws Exception {
    Path small = Files.write(dir.resolve("small"), new byte[3]);
    Path large = Files.write(dir.resolve("large"), new byte[4321]);
    Stat first = Posix.lstat(small);
    Stat second = Posix.lstat(large);
    assertThat(first.size()).isEqualTo(3);
    assertThat(second.size()).isEqualTo(4321);
    java.util.concurrent.atomic.AtomicReference<Stat> fromOther =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread other = new Thread(() -> {
      try {
        fromOther.set(Posix.lstat(large));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    other.start();
    other.join();
    assertThat(fromOther.get()).isEqualTo(second);
    assertThat(Posix.lstat(small)).isEqualTo(first);
  }

  @Test
  void legacyGlibcWrappersAgreeWithModernSymbols() throws Exception {
    // On glibc < 2.33 only __lxstat/__xmknod exist; newer glibc still exports them, so the
    // fallback path can be checked here against lstat/mknod.
    Path file = Files.write(dir.resolve("f"), new byte[77]);
    Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), Posix.STAT_SIZE);
    assertThat(Library.LIBC.__lxstat(Library.STAT_VER, file.toString(), buf)).isZero();
    assertThat(buf.getLong(48)).isEqualTo(77);
    assertThat(buf.getLong(8)).isEqualTo(Posix.lstat(file).ino());

    Path device = dir.resolve("dev");
    assertThat(Library.LIBC.__xmknod(Library.MKNOD_VER, device.toString(),
        Posix.S_IFCHR | 0600, new long[] {Posix.makedev(1, 5)})).isZero();
    assertThat(Posix.lstat(device).rdev()).isEqualTo(Posix.makedev(1, 5));
  }

  @Test
  void makedevUsesGlibcEncoding() {
    assertThat(Posix.makedev(1, 3)).isEqualTo(0x103);
    assertThat(Posix.makedev(8, 17)).isEqualTo(0x811);
    long big = Posix.makedev(0x12345, 0x6789a);
    assertThat(Posix.major(big)).isEqualTo(0x12345);
    assertThat(Posix.minor(big)).isEqualTo(0x6789a);
    // Low 12 bits of major at 8..19, the rest at 44..63; low 8 bits of minor at 0..7, rest 20..43.
    assertThat(big).isEqualTo(0x0001_2000_6783_459aL);
  }

  @Test
  void majorAndMinorOfDevNull() throws Exception {
    Stat stat = Posix.lstat(Paths.get("/dev/null"));
    assertThat(stat.isCharDevice()).isTrue();
    assertThat(Posix.major(stat.rdev())).isEqualTo(1);
    assertThat(Posix.minor(stat.rdev())).isEqualTo(3);
  }
}
