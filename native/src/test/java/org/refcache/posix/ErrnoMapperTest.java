package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ErrnoMapperTest {

  @TempDir
  Path dir;

  static Stream<Arguments> mappedErrnos() {
    return Stream.of(
        Arguments.of(Errno.ENOENT, NoSuchFileException.class),
        Arguments.of(Errno.EEXIST, FileAlreadyExistsException.class),
        Arguments.of(Errno.ENOTEMPTY, DirectoryNotEmptyException.class),
        Arguments.of(Errno.EACCES, AccessDeniedException.class),
        Arguments.of(Errno.EPERM, AccessDeniedException.class),
        Arguments.of(Errno.ENOTDIR, NotDirectoryException.class),
        Arguments.of(Errno.ELOOP, FileSystemLoopException.class));
  }

  @ParameterizedTest
  @MethodSource("mappedErrnos")
  void mappedErrnoBecomesJavaNioExceptionAndBack(int errno, Class<? extends IOException> type) {
    IOException e = ErrnoMapper.toException("somecall", errno, "/some/file", null);
    assertThat(e).isExactlyInstanceOf(type);
    assertThat(((FileSystemException) e).getFile()).isEqualTo("/some/file");
    assertThat(ErrnoMapper.toErrno(e)).isEqualTo(errno);
  }

  @ParameterizedTest
  @ValueSource(ints = {Errno.EROFS, Errno.EXDEV, Errno.ENAMETOOLONG, Errno.ENODATA,
      Errno.EOPNOTSUPP, Errno.EBADF, Errno.EINVAL, Errno.EIO, Errno.ENOSPC, Errno.EISDIR,
      Errno.EMLINK, Errno.ERANGE, Errno.ENOSYS, Errno.EBUSY, Errno.EAGAIN})
  void otherErrnoBecomesNativeExceptionCarryingIt(int errno) {
    IOException e = ErrnoMapper.toException("somecall", errno, "/a", "/b");
    assertThat(e).isExactlyInstanceOf(NativeException.class);
    NativeException nativeException = (NativeException) e;
    assertThat(nativeException.errno()).isEqualTo(errno);
    assertThat(nativeException.errnoName()).isEqualTo(ErrnoMapper.name(errno)).startsWith("E");
    assertThat(nativeException.call()).isEqualTo("somecall");
    assertThat(nativeException.file()).isEqualTo("/a");
    assertThat(nativeException.otherFile()).isEqualTo("/b");
    assertThat(ErrnoMapper.toErrno(e)).isEqualTo(errno);
  }

  @Test
  void nativeExceptionMessageNamesCallPathErrnoAndDescription() {
    IOException e = ErrnoMapper.toException("lremovexattr(user.x)", Errno.ENODATA, "/f", null);
    assertThat(e).hasMessage("lremovexattr(user.x) /f: ENODATA (No data available)");
  }

  @Test
  void javaNioExceptionReasonNamesCallErrnoAndDescription() {
    IOException e = ErrnoMapper.toException("lstat", Errno.ENOENT, "/f", null);
    assertThat(((FileSystemException) e).getReason())
        .isEqualTo("lstat: ENOENT (No such file or directory)");
    assertThat(ErrnoMapper.toException(Errno.EPERM, "/f", "/g"))
        .hasMessage("/f -> /g: EPERM (Operation not permitted)");
  }

  @Test
  void errnoConstantsHaveLinuxValues() {
    assertThat(Errno.EPERM).isEqualTo(1);
    assertThat(Errno.ENOENT).isEqualTo(2);
    assertThat(Errno.EIO).isEqualTo(5);
    assertThat(Errno.EBADF).isEqualTo(9);
    assertThat(Errno.EAGAIN).isEqualTo(11).isEqualTo(Errno.EWOULDBLOCK);
    assertThat(Errno.EACCES).isEqualTo(13);
    assertThat(Errno.EBUSY).isEqualTo(16);
    assertThat(Errno.EEXIST).isEqualTo(17);
    assertThat(Errno.EXDEV).isEqualTo(18);
    assertThat(Errno.ENOTDIR).isEqualTo(20);
    assertThat(Errno.EISDIR).isEqualTo(21);
    assertThat(Errno.EINVAL).isEqualTo(22);
    assertThat(Errno.ENOSPC).isEqualTo(28);
    assertThat(Errno.EROFS).isEqualTo(30);
    assertThat(Errno.EMLINK).isEqualTo(31);
    assertThat(Errno.ERANGE).isEqualTo(34);
    assertThat(Errno.ENAMETOOLONG).isEqualTo(36);
    assertThat(Errno.ENOSYS).isEqualTo(38);
    assertThat(Errno.ENOTEMPTY).isEqualTo(39);
    assertThat(Errno.ELOOP).isEqualTo(40);
    assertThat(Errno.ENODATA).isEqualTo(61);
    assertThat(Errno.ENOTSUP).isEqualTo(95).isEqualTo(Errno.EOPNOTSUPP);
  }

  @Test
  void nameGivesSymbolicNames() {
    assertThat(ErrnoMapper.name(Errno.ENOENT)).isEqualTo("ENOENT");
    assertThat(ErrnoMapper.name(Errno.ENODATA)).isEqualTo("ENODATA");
    assertThat(ErrnoMapper.name(95)).isEqualTo("EOPNOTSUPP");
    assertThat(ErrnoMapper.name(133)).isEqualTo("EHWPOISON");
    assertThat(ErrnoMapper.name(4242)).isEqualTo("errno 4242");
  }

  @Test
  void toErrnoRecognisesJavaNioExceptionsFromRealCalls() throws Exception {
    Path nonEmpty = Files.createDirectory(dir.resolve("d"));
    Files.writeString(nonEmpty.resolve("f"), "x");
    Path file = Files.writeString(dir.resolve("file"), "x");

    assertThat(errnoOf(() -> Files.delete(nonEmpty))).isEqualTo(Errno.ENOTEMPTY);
    assertThat(errnoOf(() -> Files.createDirectory(nonEmpty))).isEqualTo(Errno.EEXIST);
    assertThat(errnoOf(() -> Files.delete(dir.resolve("missing")))).isEqualTo(Errno.ENOENT);
    assertThat(errnoOf(() -> Files.createFile(file.resolve("below-a-file"))))
        .isEqualTo(Errno.ENOTDIR);
  }

  @Test
  void toErrnoReadsErrnoFromJavaNioReason() {
    assertThat(ErrnoMapper.toErrno(new FileSystemException("/f", null, "Read-only file system")))
        .isEqualTo(Errno.EROFS);
    assertThat(ErrnoMapper.toErrno(
        new FileSystemException("/f", "/g", "Invalid cross-device link"))).isEqualTo(Errno.EXDEV);
    assertThat(ErrnoMapper.toErrno(new AccessDeniedException("/f", null,
        "Operation not permitted"))).isEqualTo(Errno.EPERM);
    assertThat(ErrnoMapper.toErrno(new AccessDeniedException("/f"))).isEqualTo(Errno.EACCES);
    assertThat(ErrnoMapper.toErrno(new FileSystemException("/f", null, "something odd")))
        .isEqualTo(Errno.EIO);
    assertThat(ErrnoMapper.toErrno(new FileSystemException("/f"))).isEqualTo(Errno.EIO);
  }

  @Test
  void toErrnoMapsOtherThrowables() {
    assertThat(ErrnoMapper.toErrno(new ReadOnlyFileSystemException())).isEqualTo(Errno.EROFS);
    assertThat(ErrnoMapper.toErrno(new AtomicMoveNotSupportedException("/a", "/b", "x")))
        .isEqualTo(Errno.EXDEV);
    assertThat(ErrnoMapper.toErrno(new ClosedChannelException())).isEqualTo(Errno.EBADF);
    assertThat(ErrnoMapper.toErrno(new UncheckedIOException(new NoSuchFileException("/f"))))
        .isEqualTo(Errno.ENOENT);
    assertThat(ErrnoMapper.toErrno(new IOException("disk on fire"))).isEqualTo(Errno.EIO);
    assertThat(ErrnoMapper.toErrno(new IllegalStateException("bug"))).isEqualTo(Errno.EIO);
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private static int errnoOf(IoAction action) {
    try {
      action.run();
    } catch (IOException e) {
      return ErrnoMapper.toErrno(e);
    }
    throw new AssertionError("expected a failure");
  }
}
