package org.refcache.fuse.kernel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * One request read from the FUSE device or taken from a ring entry, in a buffer its worker thread
 * reuses: valid until the worker takes the next one. The request starts at {@link #base} of the
 * buffer (0 from the device; on a ring the header and the opcode's structure are copied in front
 * of the payload the kernel wrote, so the body stays contiguous). Offsets passed to the getters are relative to the body (what follows
 * {@code fuse_in_header}); names are returned as Latin-1 strings, one char per byte, which is how
 * the view spells file names (see {@code org.refcache.posix.FileNames}).
 */
public final class Request {

  private final ByteBuffer buffer;
  private final Pointer memory;
  private int base;
  private int length;

  Request(ByteBuffer buffer, Pointer memory) {
    this.buffer = buffer;
    this.memory = memory;
  }

  void received(int bytes) {
    received(0, bytes);
  }

  /** A request of {@code bytes} from {@code start} of the buffer on. */
  void received(int start, int bytes) {
    this.base = start;
    this.length = bytes;
  }

  public int length() {
    return length;
  }

  public int opcode() {
    return buffer.getInt(base + 4);
  }

  public long unique() {
    return buffer.getLong(base + 8);
  }

  public long nodeId() {
    return buffer.getLong(base + 16);
  }

  public int uid() {
    return buffer.getInt(base + 24);
  }

  public int gid() {
    return buffer.getInt(base + 28);
  }

  public int pid() {
    return buffer.getInt(base + 32);
  }

  /** Bytes of the body (after the header). */
  public int bodyLength() {
    return length - FuseKernel.IN_HEADER_SIZE;
  }

  public int i32(int offset) {
    return buffer.getInt(base + FuseKernel.IN_HEADER_SIZE + checked(offset, 4));
  }

  public long i64(int offset) {
    return buffer.getLong(base + FuseKernel.IN_HEADER_SIZE + checked(offset, 8));
  }

  /** The NUL-terminated name at {@code offset}. */
  public String name(int offset) {
    return new String(bytes(offset, nameLength(offset)), StandardCharsets.ISO_8859_1);
  }

  /** The length of the NUL-terminated name at {@code offset}, without the NUL. */
  public int nameLength(int offset) {
    int start = base + FuseKernel.IN_HEADER_SIZE + checked(offset, 0);
    for (int i = start; i < base + length; i++) {
      if (buffer.get(i) == 0) {
        return i - start;
      }
    }
    throw new MalformedRequestException("unterminated name in opcode " + opcode());
  }

  /** {@code count} bytes of the body from {@code offset}. */
  public byte[] bytes(int offset, int count) {
    byte[] out = new byte[count];
    buffer.get(base + FuseKernel.IN_HEADER_SIZE + checked(offset, count), out);
    return out;
  }

  /** Native memory of the body from {@code offset} on (a write's data, without a copy). */
  public Pointer data(int offset, int count) {
    return memory.slice(base + FuseKernel.IN_HEADER_SIZE + checked(offset, count));
  }

  private int checked(int offset, int count) {
    if (offset < 0 || count < 0 || FuseKernel.IN_HEADER_SIZE + offset + count > length) {
      throw new MalformedRequestException("opcode " + opcode() + ": " + count + " bytes at "
          + offset + " of a " + bodyLength() + "-byte body");
    }
    return offset;
  }

  /** A request shorter than its opcode's structure: answered EINVAL, never trusted. */
  public static final class MalformedRequestException extends RuntimeException {
    MalformedRequestException(String message) {
      super(message);
    }
  }
}
