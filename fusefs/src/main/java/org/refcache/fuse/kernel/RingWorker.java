package org.refcache.fuse.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.IoUring;

/**
 * One worker of FUSE over io_uring: it owns one io_uring and one ring entry of queue {@code qid}
 * (a header buffer and a payload buffer registered with the kernel), and serves the requests the
 * kernel puts into that entry, each with one {@code io_uring_enter}: the commit of a reply and the
 * fetch of the next request go in one command ({@code FUSE_IO_URING_CMD_COMMIT_AND_FETCH}).
 * Several workers share a queue, so a request that blocks (an unpack, an fsync) holds only its
 * worker.
 *
 * <p>What arrives where (fs/fuse/dev_uring.c): {@code fuse_in_header} in {@code in_out}, the
 * opcode's first argument in {@code op_in} (none when the kernel left it empty), every other
 * argument in the payload, whose size is in {@code payload_sz}; {@code in_header.len} counts them
 * all, which gives the size of the first. A reply goes back as {@code fuse_out_header} in
 * {@code in_out} and every out argument in the payload. FORGET, BATCH_FORGET and INTERRUPT still
 * come through {@code read(2)} of the device, and notifications still go by {@code write(2)}.
 *
 * <p>The worker ends when the kernel answers a command with ENOTCONN (the file system was
 * unmounted: its entries are torn down), ECONNABORTED or ECANCELED (the connection was aborted).
 */
final class RingWorker implements Runnable {

  /**
   * Room in front of the payload: for fuse_in_header and the largest op_in right before it, or
   * for them at the start and an in-place reply's fuse_out_header right before the payload.
   */
  private static final int FRONT = 256;
  private static final int IOVEC_SIZE = 16;
  /** Failed commands in a row after which the worker gives up its entry. */
  private static final int MAX_FAILURES = 3;

  private final FuseSession session;
  private final IoUring ring;
  private final int deviceFd;
  private final int qid;
  private final int payloadSize;
  private final Pointer headers;
  /** The request as the handler sees it: header and op_in copied right in front of the payload. */
  private final ByteBuffer requestBuffer;
  private final Pointer requestMemory;
  private final Pointer payload;
  private final Pointer iovecs;
  private final Request request;
  /** For requests with a payload (names, a write's data): built apart, copied at the end. */
  private final Reply copiedReply;
  /**
   * For requests without one (READ, READDIR, GETATTR...): built in the payload buffer itself,
   * its header in the 16 bytes in front; the request then lies at the start of the buffer.
   */
  private final Reply inPlaceReply;
  private boolean registered;
  /** Failed commands in a row since the last request. */
  private int failures;

  RingWorker(FuseSession session, IoUring ring, int deviceFd, int qid, int payloadSize) {
    this.session = session;
    this.ring = ring;
    this.deviceFd = deviceFd;
    this.qid = qid;
    this.payloadSize = payloadSize;
    Runtime runtime = Runtime.getSystemRuntime();
    this.headers = jnr.ffi.Memory.allocateDirect(runtime, FuseKernel.URING_HEADER_SIZE, true);
    this.requestBuffer = ByteBuffer.allocateDirect(FRONT + payloadSize)
        .order(ByteOrder.LITTLE_ENDIAN);
    this.requestMemory = Pointer.wrap(runtime, requestBuffer);
    this.payload = requestMemory.slice(FRONT);
    // Replies are built in a buffer of their own and copied into the payload when sent: a
    // handler may still read its request (a name, a write's data) after it began its reply.
    ByteBuffer out = ByteBuffer.allocateDirect(FuseKernel.OUT_HEADER_SIZE + payloadSize)
        .order(ByteOrder.LITTLE_ENDIAN);
    this.request = new Request(requestBuffer, requestMemory);
    this.copiedReply = new Reply(this::takeReply, out, Pointer.wrap(runtime, out));
    ByteBuffer inPlace = requestBuffer.slice(FRONT - FuseKernel.OUT_HEADER_SIZE,
        FuseKernel.OUT_HEADER_SIZE + payloadSize).order(ByteOrder.LITTLE_ENDIAN);
    this.inPlaceReply = new Reply(this::takeReplyInPlace, inPlace,
        Pointer.wrap(runtime, inPlace));
    this.iovecs = jnr.ffi.Memory.allocateDirect(runtime, 2 * IOVEC_SIZE, true);
    iovecs.putLong(0, headers.address());
    iovecs.putLong(8, FuseKernel.URING_HEADER_SIZE);
    iovecs.putLong(16, payload.address());
    iovecs.putLong(24, payloadSize);
  }

  @Override
  public void run() {
    IoUring.Completion done = new IoUring.Completion();
    try {
      prepare(FuseKernel.URING_CMD_REGISTER, 0);
      while (true) {
        int n = ring.submitAndWait(1);
        if (n < 0 && n != -Errno.EINTR) {
          FuseSession.LOG.warn("io_uring_enter of FUSE queue {} failed: {}", qid,
              ErrnoMapper.name(-n));
          return;
        }
        while (ring.completion(done)) {
          if (!serve(done.result())) {
            return;
          }
        }
      }
    } finally {
      ring.close();
      session.workerEnded();
    }
  }

  /** Serves the request of a completion; false when the worker must end. */
  private boolean serve(int result) {
    if (result < 0) {
      int errno = -result;
      if (errno == Errno.ENOTCONN || errno == Errno.ECONNABORTED || errno == Errno.ECANCELED
          || errno == Errno.ENODEV) {
        return false; // unmounted or aborted
      }
      if (!registered) {
        session.ringRefused(qid, errno);
        return false;
      }
      // The entry is gone with the failed commit: register a new one, or the queue could be left
      // without entries and its requests waiting forever.
      FuseSession.LOG.warn("FUSE ring queue {}: a command failed ({}): registering the entry again",
          qid, ErrnoMapper.name(errno));
      if (++failures > MAX_FAILURES) {
        FuseSession.LOG.error("FUSE ring queue {}: {} commands failed in a row, the worker ends",
            qid, failures);
        return false;
      }
      prepare(FuseKernel.URING_CMD_REGISTER, 0);
      return true;
    }
    registered = true;
    failures = 0;
    int length = headers.getInt(0);
    int payloadBytes = headers.getInt(FuseKernel.URING_PAYLOAD_SZ);
    int opBytes = length - FuseKernel.IN_HEADER_SIZE - payloadBytes;
    long unique = headers.getLong(8);
    if (opBytes < 0 || opBytes > FuseKernel.URING_OP_IN_SIZE || payloadBytes > payloadSize) {
      FuseSession.LOG.warn("FUSE ring request {} has an unexpected layout ({} bytes, {} in the "
          + "payload): EIO", unique, length, payloadBytes);
      copiedReply.reset(unique);
      copiedReply.error(Errno.EIO);
    } else {
      boolean inPlace = payloadBytes == 0;
      int start = inPlace ? 0 : FRONT - opBytes - FuseKernel.IN_HEADER_SIZE;
      headers.transferTo(0, requestMemory, start, FuseKernel.IN_HEADER_SIZE);
      headers.transferTo(FuseKernel.URING_OP_IN, requestMemory,
          start + FuseKernel.IN_HEADER_SIZE, opBytes);
      request.received(start, length);
      session.dispatchFromRing(request, inPlace ? inPlaceReply : copiedReply);
    }
    prepare(FuseKernel.URING_CMD_COMMIT_AND_FETCH, unique);
    return true;
  }

  /** The reply's channel: header into in_out, payload into the registered payload buffer. */
  private long takeReply(Pointer memory, int total) {
    int bytes = total - FuseKernel.OUT_HEADER_SIZE;
    memory.transferTo(0, headers, 0, FuseKernel.OUT_HEADER_SIZE);
    if (bytes > 0) {
      memory.transferTo(FuseKernel.OUT_HEADER_SIZE, payload, 0, bytes);
    }
    headers.putInt(FuseKernel.URING_PAYLOAD_SZ, bytes);
    return total;
  }

  /** The in-place reply's channel: only its header moves (into in_out). */
  private long takeReplyInPlace(Pointer memory, int total) {
    memory.transferTo(0, headers, 0, FuseKernel.OUT_HEADER_SIZE);
    headers.putInt(FuseKernel.URING_PAYLOAD_SZ, total - FuseKernel.OUT_HEADER_SIZE);
    return total;
  }

  /** struct fuse_uring_cmd_req in the command area: flags 0, commit_id 8, qid 16. */
  private void prepare(int command, long commitId) {
    Pointer sqe = ring.prepare();
    sqe.putByte(IoUring.SQE_OPCODE, (byte) IoUring.OP_URING_CMD);
    sqe.putInt(IoUring.SQE_FD, deviceFd);
    sqe.putInt(IoUring.SQE_CMD_OP, command);
    if (command == FuseKernel.URING_CMD_REGISTER) {
      sqe.putLong(IoUring.SQE_ADDR, iovecs.address());
      sqe.putInt(IoUring.SQE_LEN, 2);
    }
    sqe.putLong(IoUring.SQE_CMD + 8, commitId);
    sqe.putShort(IoUring.SQE_CMD + 16, (short) qid);
  }
}
