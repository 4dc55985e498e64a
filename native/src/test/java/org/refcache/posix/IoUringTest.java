package org.refcache.posix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ring itself, through operations whose effect is visible: reads of a file, no-ops. */
class IoUringTest {

  /** {@code IORING_OP_NOP} and {@code IORING_OP_READ}. */
  private static final int OP_NOP = 0;
  private static final int OP_READ = 22;

  @TempDir
  Path dir;

  @Test
  void aReadSubmittedThroughTheRingFillsTheBufferAndCompletesWithItsUserData() throws Exception {
    Path file = dir.resolve("data");
    Files.writeString(file, "hello ring");
    int fd = Descriptors.open(file, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
    Pointer buffer = Memory.allocateDirect(Runtime.getSystemRuntime(), 64, true);
    try (IoUring ring = IoUring.open(4, true)) {
      Pointer sqe = ring.prepare();
      sqe.putByte(IoUring.SQE_OPCODE, (byte) OP_READ);
      sqe.putInt(IoUring.SQE_FD, fd);
      sqe.putLong(8, 6); // off: from byte 6
      sqe.putLong(IoUring.SQE_ADDR, buffer.address());
      sqe.putInt(IoUring.SQE_LEN, 4);
      sqe.putLong(IoUring.SQE_USER_DATA, 0xfeedL);

      assertThat(ring.submitAndWait(1)).isEqualTo(1);
      IoUring.Completion done = new IoUring.Completion();
      assertThat(ring.completion(done)).isTrue();
      assertThat(done.userData()).isEqualTo(0xfeedL);
      assertThat(done.result()).isEqualTo(4);
      byte[] read = new byte[4];
      buffer.get(0, read, 0, 4);
      assertThat(new String(read, UTF_8)).isEqualTo("ring");
      assertThat(ring.completion(done)).isFalse();
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void completionsComeBackInTheirOwnSlotsRoundAfterRoundPastTheRingsSize() throws Exception {
    try (IoUring ring = IoUring.open(2, false)) {
      IoUring.Completion done = new IoUring.Completion();
      for (long round = 0; round < 20; round++) { // wraps the 2-entry ring many times
        for (long i = 0; i < 2; i++) {
          Pointer sqe = ring.prepare();
          sqe.putByte(IoUring.SQE_OPCODE, (byte) OP_NOP);
          sqe.putLong(IoUring.SQE_USER_DATA, round * 2 + i);
        }
        assertThat(ring.submitAndWait(2)).isEqualTo(2);
        for (long i = 0; i < 2; i++) {
          assertThat(ring.completion(done)).isTrue();
          assertThat(done.userData()).isEqualTo(round * 2 + i);
          assertThat(done.result()).isZero();
        }
        assertThat(ring.completion(done)).isFalse();
      }
    }
  }
}
