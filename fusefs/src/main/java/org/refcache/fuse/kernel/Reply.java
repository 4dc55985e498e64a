package org.refcache.fuse.kernel;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;
import org.refcache.posix.Descriptors;

/**
 * The reply to one request, built in a buffer its worker thread reuses. A handler answers each
 * request once: {@link #error}, {@link #ok}, or writes its payload after {@link #begin} and ends
 * with {@link #send}. Writing to the device fails with ENOENT when the request was interrupted
 * and the kernel no longer waits for it, which is not an error. On a ring entry, sending puts the
 * reply into the entry; the worker hands it over with the fetch of its next request.
 */
public final class Reply {

  /** Where a finished reply ({@code fuse_out_header} and payload, {@code total} bytes) goes. */
  @FunctionalInterface
  interface Channel {
    /** Takes the reply in {@code memory}: bytes taken, or {@code -errno}. */
    long write(Pointer memory, int total);
  }

  private final Channel channel;
  private final ByteBuffer buffer;
  private final Pointer memory;
  private long unique;
  private boolean sent;

  Reply(int fd, ByteBuffer buffer, Pointer memory) {
    this((m, total) -> Descriptors.write(fd, m, total), buffer, memory);
  }

  Reply(Channel channel, ByteBuffer buffer, Pointer memory) {
    this.channel = channel;
    this.buffer = buffer;
    this.memory = memory;
  }

  void reset(long unique) {
    this.unique = unique;
    this.sent = false;
  }

  /** Whether this request was answered. */
  public boolean sent() {
    return sent;
  }

  /** Answers {@code -errno} ({@code errno} given positive). */
  public void error(int errno) {
    buffer.putInt(0, FuseKernel.OUT_HEADER_SIZE);
    buffer.putInt(4, -Math.abs(errno));
    buffer.putLong(8, unique);
    write(FuseKernel.OUT_HEADER_SIZE);
  }

  /** Answers success without a payload. */
  public void ok() {
    buffer.clear().position(FuseKernel.OUT_HEADER_SIZE);
    send();
  }

  /** The buffer to write the payload into, positioned after the header (little-endian). */
  public ByteBuffer begin() {
    buffer.clear().position(FuseKernel.OUT_HEADER_SIZE);
    return buffer;
  }

  /** Native memory where the payload starts (a read's data goes straight there). */
  public Pointer payloadMemory() {
    return memory.slice(FuseKernel.OUT_HEADER_SIZE);
  }

  /** Room for a payload. */
  public int capacity() {
    return buffer.capacity() - FuseKernel.OUT_HEADER_SIZE;
  }

  /**
   * Sends what was written after {@link #begin} (up to the buffer's position).
   *
   * @return false if the kernel no longer waited for it (the request was withdrawn): a reply that
   *         handed out a lookup must then take it back
   */
  public boolean send() {
    return sendPayload(buffer.position() - FuseKernel.OUT_HEADER_SIZE);
  }

  /** Sends a payload of {@code bytes} written straight to {@link #payloadMemory}; as {@link #send}. */
  public boolean sendPayload(int bytes) {
    int total = FuseKernel.OUT_HEADER_SIZE + bytes;
    buffer.putInt(0, total);
    buffer.putInt(4, 0);
    buffer.putLong(8, unique);
    return write(total);
  }

  private boolean write(int total) {
    sent = true;
    long n = channel.write(memory, total);
    if (n < 0 && n != -org.refcache.posix.Errno.ENOENT) {
      FuseSession.LOG.debug("reply to request {} not taken: errno {}", unique, -n);
    }
    return n >= 0;
  }
}
