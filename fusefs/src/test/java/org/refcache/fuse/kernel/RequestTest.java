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
}
