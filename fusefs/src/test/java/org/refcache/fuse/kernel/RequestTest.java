package org.refcache.fuse.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

class RequestTest {

  private static Request request(int opcode, byte[] body) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(256).order(ByteOrder.LITTLE_ENDIAN);
    buffer.putInt(0, FuseKernel.IN_HEADER_SIZE + body.length);
    buffer.putInt(4, opcode);
    buffer.putLong(8, 77);
    buffer.putLong(16, 5);
    buffer.putInt(24, 1000);
    buffer.putInt(28, 100);
    buffer.put(FuseKernel.IN_HEADER_SIZE, body);
    Request r = new Request(buffer, Pointer.wrap(Runtime.getSystemRuntime(), buffer));
    r.received(FuseKernel.IN_HEADER_SIZE + body.length);
    return r;
  }

  @Test
  void readsTheHeaderAndNamesByteForByte() {
    byte[] body = "a\u00ff\0second\0".getBytes(StandardCharsets.ISO_8859_1);
    Request r = request(FuseKernel.RENAME, body);
    assertThat(r.opcode()).isEqualTo(FuseKernel.RENAME);
    assertThat(r.unique()).isEqualTo(77);
    assertThat(r.nodeId()).isEqualTo(5);
    assertThat(r.uid()).isEqualTo(1000);
    assertThat(r.gid()).isEqualTo(100);
    assertThat(r.name(0)).isEqualTo("a\u00ff");
    assertThat(r.name(r.nameLength(0) + 1)).isEqualTo("second");
  }

  @Test
  void aNameWithoutItsTerminatorIsMalformed() {
    Request r = request(FuseKernel.LOOKUP, "no-nul".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> r.name(0)).isInstanceOf(Request.MalformedRequestException.class);
  }

  @Test
  void fieldsBeyondTheBodyAreMalformedNotReadFromTheLastRequest() {
    Request r = request(FuseKernel.GETATTR, new byte[8]);
    assertThat(r.i64(0)).isZero();
    assertThatThrownBy(() -> r.i64(8)).isInstanceOf(Request.MalformedRequestException.class);
    assertThatThrownBy(() -> r.data(0, 9)).isInstanceOf(Request.MalformedRequestException.class);
  }

  /** A ring worker puts the request further into its buffer: nothing before it is read. */
  @Test
  void aRequestAtAnOffsetReadsItsHeaderAndBodyFromThereAndStopsAtItsEnd() {
    ByteBuffer buffer = ByteBuffer.allocateDirect(256).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 256; i++) {
      buffer.put(i, (byte) 0x55); // what the last request left
    }
    int base = 100;
    byte[] body = "name\0".getBytes(StandardCharsets.US_ASCII);
    buffer.putInt(base, FuseKernel.IN_HEADER_SIZE + 8 + body.length);
    buffer.putInt(base + 4, FuseKernel.MKDIR);
    buffer.putLong(base + 8, 99);
    buffer.putLong(base + 16, 7);
    buffer.putInt(base + FuseKernel.IN_HEADER_SIZE, 0755);
    buffer.put(base + FuseKernel.IN_HEADER_SIZE + 8, body);
    Request r = new Request(buffer, Pointer.wrap(Runtime.getSystemRuntime(), buffer));
    r.received(base, FuseKernel.IN_HEADER_SIZE + 8 + body.length);

    assertThat(r.opcode()).isEqualTo(FuseKernel.MKDIR);
    assertThat(r.unique()).isEqualTo(99);
    assertThat(r.nodeId()).isEqualTo(7);
    assertThat(r.i32(0)).isEqualTo(0755);
    assertThat(r.name(8)).isEqualTo("name");
    assertThat(r.bodyLength()).isEqualTo(8 + body.length);
    assertThat(r.data(8, 4).getByte(0)).isEqualTo((byte) 'n');
    assertThatThrownBy(() -> r.i64(8 + body.length))
        .isInstanceOf(Request.MalformedRequestException.class);
  }
}
