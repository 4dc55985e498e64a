package org.refcache.posix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FUSE hot path: fd-level calls into native memory, -errno instead of exceptions. */
class DescriptorsTest {

  private static final Runtime RUNTIME = Runtime.getSystemRuntime();

  @TempDir
  Path dir;

  @Test
  void pwriteThenPreadRoundTripsThroughNativeMemory() throws Exception {
    Path file = dir.resolve("data");
    int fd = Descriptors.open(file, Posix.O_RDWR | Posix.O_CREAT | Posix.O_EXCL | Posix.O_CLOEXEC, 0644);
    try {
      byte[] text = "hello world".getBytes(UTF_8);
      Pointer out = Memory.allocateDirect(RUNTIME, text.length);
      out.put(0, text, 0, text.length);
      assertThat(Descriptors.pwrite(fd, out, text.length, 0)).isEqualTo(text.length);

      Pointer in = Memory.allocateDirect(RUNTIME, 64);
      assertThat(Descriptors.pread(fd, in, 5, 6)).isEqualTo(5);
      byte[] read = new byte[5];
      in.get(0, read, 0, 5);
      assertThat(new String(read, UTF_8)).isEqualTo("world");

      assertThat(Descriptors.pread(fd, in, 64, 0)).as("short read at end of file").isEqualTo(11);
      assertThat(Descriptors.pread(fd, in, 64, 11)).as("end of file").isZero();
      assertThat(Descriptors.fsync(fd)).isZero();
      assertThat(Descriptors.fdatasync(fd)).isZero();
    } finally {
      assertThat(Descriptors.close(fd)).isZero();
    }
    assertThat(Files.readString(file)).isEqualTo("hello world");
  }

  @Test
  void pwriteAtOffsetLeavesHole() throws Exception {
    Path file = dir.resolve("sparse");
    int fd = Descriptors.open(file, Posix.O_WRONLY | Posix.O_CREAT, 0600);
    try {
      Pointer buf = Memory.allocateDirect(RUNTIME, 1);
      buf.putByte(0, (byte) 'x');
      assertThat(Descriptors.pwrite(fd, buf, 1, 1 << 20)).isEqualTo(1);
    } finally {
      Descriptors.close(fd);
    }
    assertThat(Files.size(file)).isEqualTo((1 << 20) + 1);
    assertThat(Files.readAllBytes(file)[0]).isZero();
  }

  @Test
  void ftruncateShortensAndExtends() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "0123456789");
    int fd = Descriptors.open(file, Posix.O_RDWR, 0);
    try {
      assertThat(Descriptors.ftruncate(fd, 4)).isZero();
      assertThat(Files.readString(file)).isEqualTo("0123");
      assertThat(Descriptors.ftruncate(fd, 8)).isZero();
      assertThat(Files.readAllBytes(file)).containsExactly('0', '1', '2', '3', 0, 0, 0, 0);
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void callsOnClosedDescriptorReturnMinusEbadf() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    int fd = Descriptors.open(file, Posix.O_RDONLY, 0);
    assertThat(Descriptors.close(fd)).isZero();
    Pointer buf = Memory.allocateDirect(RUNTIME, 8);
    assertThat(Descriptors.pread(fd, buf, 8, 0)).isEqualTo(-Errno.EBADF);
    assertThat(Posix.errno()).isEqualTo(Errno.EBADF);
    assertThat(Descriptors.pwrite(fd, buf, 8, 0)).isEqualTo(-Errno.EBADF);
    assertThat(Descriptors.fsync(fd)).isEqualTo(-Errno.EBADF);
    assertThat(Descriptors.fdatasync(fd)).isEqualTo(-Errno.EBADF);
    assertThat(Descriptors.ftruncate(fd, 0)).isEqualTo(-Errno.EBADF);
    assertThat(Descriptors.close(fd)).isEqualTo(-Errno.EBADF);
  }

  @Test
  void pwriteToReadOnlyDescriptorReturnsMinusEbadf() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    int fd = Descriptors.open(file, Posix.O_RDONLY, 0);
    try {
      Pointer buf = Memory.allocateDirect(RUNTIME, 1);
      assertThat(Descriptors.pwrite(fd, buf, 1, 0)).isEqualTo(-Errno.EBADF);
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void openRawReturnsMinusErrnoInsteadOfThrowing() throws Exception {
    assertThat(Descriptors.openRaw(dir.resolve("missing").toString(), Posix.O_RDONLY, 0))
        .isEqualTo(-Errno.ENOENT);
    assertThat(Descriptors.openRaw(dir.toString(), Posix.O_WRONLY, 0)).isEqualTo(-Errno.EISDIR);
    int fd = Descriptors.openRaw(dir.toString(), Posix.O_RDONLY | Posix.O_DIRECTORY, 0);
    assertThat(fd).isNotNegative();
    assertThat(Descriptors.close(fd)).isZero();
  }

  @Test
  void openMapsErrnoToExceptions() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    assertThatThrownBy(() -> Descriptors.open(dir.resolve("missing"), Posix.O_RDONLY, 0))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> Descriptors.open(file, Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY, 0600))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThatThrownBy(() -> Descriptors.open(link, Posix.O_RDONLY | Posix.O_NOFOLLOW, 0))
        .isInstanceOf(FileSystemLoopException.class);
    assertThatThrownBy(() -> Descriptors.open(file, Posix.O_RDONLY | Posix.O_DIRECTORY, 0))
        .isInstanceOf(java.nio.file.NotDirectoryException.class);
  }

  @Test
  void openCreatesWithRequestedMode() throws Exception {
    Path file = dir.resolve("created");
    int fd = Descriptors.open(file, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC, 0600);
    Descriptors.close(fd);
    assertThat(Posix.lstat(file).permissions()).isEqualTo(0600);
  }

  @Test
  void appendWritesAtEndRegardlessOfOffsetArgument() throws Exception {
    Path file = Files.writeString(dir.resolve("log"), "ab");
    int fd = Descriptors.open(file, Posix.O_WRONLY | Posix.O_APPEND, 0);
    try {
      Pointer buf = Memory.allocateDirect(RUNTIME, 1);
      buf.putByte(0, (byte) 'c');
      // Linux quirk documented in pwrite(2): with O_APPEND the offset is ignored.
      assertThat(Descriptors.pwrite(fd, buf, 1, 0)).isEqualTo(1);
    } finally {
      Descriptors.close(fd);
    }
    assertThat(Files.readString(file)).isEqualTo("abc");
  }

  @Test
  void statvfsAgreesWithJavaNioFileStore() throws Exception {
    StatVfs statvfs = Posix.statvfs(dir);
    FileStore store = Files.getFileStore(dir);
    assertThat(statvfs.totalBytes()).isEqualTo(store.getTotalSpace());
    assertThat(statvfs.fragmentSize()).isPositive();
    assertThat(statvfs.blockSize()).isPositive();
    assertThat(statvfs.blocksFree()).isBetween(statvfs.blocksAvailable(), statvfs.blocks());
    assertThat(statvfs.filesFree()).isBetween(statvfs.filesAvailable(), statvfs.files());
    assertThat(statvfs.nameMax()).isEqualTo(255);
    assertThat(statvfs.isReadOnly()).isFalse();
    // Other processes write to the same disk meanwhile: compare free space loosely.
    long slack = 512L << 20;
    assertThat(statvfs.availableBytes()).isBetween(store.getUsableSpace() - slack,
        store.getUsableSpace() + slack);
  }

  @Test
  void statvfsOfMissingPathFailsWithNoSuchFile() {
    assertThatThrownBy(() -> Posix.statvfs(dir.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void syncfsFlushesAnExistingDirectoryAndRejectsAMissingOne() throws Exception {
    Files.writeString(dir.resolve("f"), "data");
    Descriptors.syncfs(dir);
    assertThat(Files.readString(dir.resolve("f"))).isEqualTo("data");
    assertThatThrownBy(() -> Descriptors.syncfs(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
    Path file = dir.resolve("f");
    assertThatThrownBy(() -> Descriptors.syncfs(file)).isInstanceOf(java.nio.file.NotDirectoryException.class);
  }

  @Test
  void symlinkKeepsTheTargetByteForByte() throws Exception {
    Path link = dir.resolve("l");
    Posix.symlink("a//b/./", link);
    assertThat(Posix.readlink(link)).isEqualTo("a//b/./");
    assertThat(Posix.lstat(link).isSymlink()).isTrue();
    String longTarget = "x/".repeat(300);
    Path longLink = dir.resolve("long");
    Posix.symlink(longTarget, longLink);
    assertThat(Posix.readlink(longLink)).isEqualTo(longTarget);
    assertThatThrownBy(() -> Posix.symlink("t", link)).isInstanceOf(FileAlreadyExistsException.class);
    assertThatThrownBy(() -> Posix.readlink(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void fallocateAllocatesBlocksAndGrowsTheFile() throws Exception {
    Path f = dir.resolve("reserved");
    Files.createFile(f);
    Descriptors.fallocate(f, 0, 1 << 20);
    Stat st = Posix.lstat(f);
    assertThat(st.size()).isEqualTo(1 << 20);
    assertThat(st.blocks() * 512).isGreaterThanOrEqualTo(1 << 20);
    assertThatThrownBy(() -> Descriptors.fallocate(dir.resolve("missing"), 0, 1)).isInstanceOf(NoSuchFileException.class);
  }
}
