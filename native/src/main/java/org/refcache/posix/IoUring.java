package org.refcache.posix;

import java.lang.invoke.VarHandle;
import jnr.ffi.Pointer;

/**
 * A small io_uring instance ({@code io_uring_setup(2)}, {@code io_uring_enter(2)}, without
 * liburing) of 128-byte submission entries, for commands whose arguments fill the 80-byte command
 * area ({@code IORING_OP_URING_CMD}: FUSE over io_uring). One thread owns an instance: it prepares
 * entries with {@link #prepare}, submits and waits with {@link #submitAndWait}, and takes
 * completions with {@link #completion}; nothing here is thread-safe.
 *
 * <p>Memory ordering. The rings are shared with the kernel, which reads the submission tail and
 * writes the completion tail with acquire/release semantics ({@code smp_load_acquire},
 * {@code smp_store_release}). jnr-ffi's accesses are plain, so the JIT could move them: a fence
 * before publishing the submission tail ({@link VarHandle#releaseFence}) makes the entry's bytes
 * visible before the kernel can see the new tail, and one after reading the completion tail
 * ({@link VarHandle#acquireFence}) keeps the completion's bytes from being read before it. On
 * x86-64 the hardware already orders these (TSO); the fences are what stop the compiler.
 */
public final class IoUring implements AutoCloseable {

  /** {@code __NR_io_uring_setup} and {@code __NR_io_uring_enter} (the same on every architecture). */
  static final long SYS_SETUP = 425;
  static final long SYS_ENTER = 426;

  /**
   * {@code mmap(2)} and {@code munmap(2)} of x86-64, called raw: jnr-ffi's binding of glibc's
   * {@code mmap} failed with EINVAL on the same arguments that work from C.
   */
  static final long SYS_MMAP = 9;
  static final long SYS_MUNMAP = 11;

  static final int SETUP_SQE128 = 1 << 10;
  static final int SETUP_SINGLE_ISSUER = 1 << 12;
  /** Completion work runs only when the owner waits in {@code io_uring_enter}: no interruptions. */
  static final int SETUP_DEFER_TASKRUN = 1 << 13;
  static final int FEAT_SINGLE_MMAP = 1;
  static final int ENTER_GETEVENTS = 1;

  public static final int OP_URING_CMD = 46;
  /** Bytes of one submission entry with {@code IORING_SETUP_SQE128}. */
  public static final int SQE_SIZE = 128;
  /** Offsets in a submission entry. */
  public static final int SQE_OPCODE = 0;
  public static final int SQE_FD = 4;
  /** {@code cmd_op} of a {@code URING_CMD} (the union with {@code off}). */
  public static final int SQE_CMD_OP = 8;
  public static final int SQE_ADDR = 16;
  public static final int SQE_LEN = 24;
  public static final int SQE_USER_DATA = 32;
  /** The 80-byte command area of a 128-byte entry. */
  public static final int SQE_CMD = 48;
  public static final int SQE_CMD_SIZE = 80;

  private static final int PARAMS_SIZE = 120;
  private static final int CQE_SIZE = 16;
  private static final long OFF_SQ_RING = 0L;
  private static final long OFF_SQES = 0x10000000L;
  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_SHARED_POPULATE = 0x01 | 0x8000;

  private final int fd;
  private final long ringAddress;
  private final long ringSize;
  private final long sqesAddress;
  private final long sqesSize;
  private final Pointer ring;
  private final Pointer sqes;
  private final int sqHead;
  private final int sqTail;
  private final int sqMask;
  private final int sqArray;
  private final int sqEntries;
  private final int cqHead;
  private final int cqTail;
  private final int cqMask;
  private final int cqes;
  private final boolean deferredTaskRun;
  /** Entries prepared since the last submission. */
  private int pending;
  private boolean closed;

  /** One completion: what the entry carried in {@code user_data}, and its result. */
  public static final class Completion {
    private long userData;
    private int result;

    public long userData() {
      return userData;
    }

    /** The operation's result: {@code -errno} on failure. */
    public int result() {
      return result;
    }
  }

  private IoUring(int fd, Pointer params, long ringAddress, long ringSize, long sqesAddress,
                  long sqesSize, boolean deferredTaskRun) {
    this.fd = fd;
    this.ringAddress = ringAddress;
    this.ringSize = ringSize;
    this.sqesAddress = sqesAddress;
    this.sqesSize = sqesSize;
    this.deferredTaskRun = deferredTaskRun;
    this.ring = Pointer.wrap(Library.RUNTIME, ringAddress, ringSize);
    this.sqes = Pointer.wrap(Library.RUNTIME, sqesAddress, sqesSize);
    // struct io_uring_params: sq_off at 40 {head, tail, ring_mask, ring_entries, flags, dropped,
    // array}, cq_off at 80 {head, tail, ring_mask, ring_entries, overflow, cqes}.
    this.sqEntries = params.getInt(0);
    this.sqHead = params.getInt(40);
    this.sqTail = params.getInt(44);
    this.sqMask = ring.getInt(params.getInt(48));
    this.sqArray = params.getInt(64);
    this.cqHead = params.getInt(80);
    this.cqTail = params.getInt(84);
    this.cqMask = ring.getInt(params.getInt(88));
    this.cqes = params.getInt(100);
  }

  /**
   * Sets up a ring of {@code entries} 128-byte submission entries and maps it.
   *
   * @param oneThread the ring is used only by the thread that calls this, which lets completion
   *                  work wait until that thread asks for completions (kernel 6.1+:
   *                  {@code SINGLE_ISSUER}, {@code DEFER_TASKRUN}); false: any one thread at a
   *                  time may use it (handed from the thread that set it up to a worker)
   *
   * @throws NativeException with the errno of the step that failed ({@code io_uring_setup}:
   *                         ENOSYS on old kernels, EPERM when {@code kernel.io_uring_disabled}
   *                         forbids it; {@code mmap})
   */
  public static IoUring open(int entries, boolean oneThread) throws NativeException {
    Pointer params = jnr.ffi.Memory.allocateDirect(Library.RUNTIME, PARAMS_SIZE, true);
    int flags = oneThread ? SETUP_SQE128 | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN : SETUP_SQE128;
    long fd = setup(entries, params, flags);
    if (fd == -Errno.EINVAL && flags != SETUP_SQE128) {
      flags = SETUP_SQE128; // a kernel before 6.1: no deferred task work
      fd = setup(entries, params, flags);
    }
    if (fd < 0) {
      throw new NativeException("io_uring_setup", (int) -fd, null, null);
    }
    int ringFd = (int) fd;
    try {
      if ((params.getInt(20) & FEAT_SINGLE_MMAP) == 0) {
        throw new NativeException("io_uring_setup (no IORING_FEAT_SINGLE_MMAP)", Errno.ENOSYS,
            null, null);
      }
      int sqEntries = params.getInt(0);
      int cqEntries = params.getInt(4);
      long sqRingSize = params.getInt(64) + 4L * sqEntries;
      long cqRingSize = params.getInt(100) + (long) CQE_SIZE * cqEntries;
      long ringSize = Math.max(sqRingSize, cqRingSize);
      long ring = map(ringFd, ringSize, OFF_SQ_RING);
      long sqesSize = (long) SQE_SIZE * sqEntries;
      long sqes;
      try {
        sqes = map(ringFd, sqesSize, OFF_SQES);
      } catch (NativeException e) {
        unmap(ring, ringSize);
        throw e;
      }
      return new IoUring(ringFd, params, ring, ringSize, sqes, sqesSize,
          (flags & SETUP_DEFER_TASKRUN) != 0);
    } catch (NativeException | RuntimeException e) {
      Library.LIBC.close(ringFd);
      throw e;
    }
  }

  private static long setup(int entries, Pointer params, int flags) {
    params.setMemory(0, PARAMS_SIZE, (byte) 0);
    params.putInt(8, flags);
    long fd = Library.LIBC.syscall(SYS_SETUP, entries, params.address(), 0, 0, 0, 0);
    return fd >= 0 ? fd : -Posix.errno();
  }

  private static long map(int fd, long size, long offset) throws NativeException {
    long address = Library.LIBC.syscall(SYS_MMAP, 0, size, PROT_READ_WRITE, MAP_SHARED_POPULATE,
        fd, offset);
    if (address == -1) {
      throw new NativeException("mmap of an io_uring (fd " + fd + ", " + size + " bytes at " + offset + ")", Posix.errno(), null, null);
    }
    return address;
  }

  private static void unmap(long address, long size) {
    Library.LIBC.syscall(SYS_MUNMAP, address, size, 0, 0, 0, 0);
  }

  /** Whether completion work runs deferred, only in {@link #submitAndWait} (kernel 6.1+). */
  public boolean deferredTaskRun() {
    return deferredTaskRun;
  }

  /**
   * The next submission entry, zeroed, to fill at the {@code SQE_*} offsets; submitted by the
   * next {@link #submitAndWait}.
   *
   * @throws IllegalStateException if every entry is already prepared
   */
  public Pointer prepare() {
    if (pending >= sqEntries) {
      throw new IllegalStateException("all " + sqEntries + " submission entries are in use");
    }
    int tail = ring.getInt(sqTail) + pending;
    int index = tail & sqMask;
    long offset = (long) index * SQE_SIZE;
    sqes.setMemory(offset, SQE_SIZE, (byte) 0);
    ring.putInt(sqArray + 4L * index, index);
    pending++;
    return sqes.slice(offset, SQE_SIZE);
  }

  /**
   * Submits the prepared entries and waits until at least {@code minComplete} completions are
   * there, in one {@code io_uring_enter}.
   *
   * @return the number of entries submitted, or {@code -errno} (EINTR: nothing was lost, call
   *         again with nothing new prepared)
   */
  public int submitAndWait(int minComplete) {
    int toSubmit = pending;
    if (toSubmit > 0) {
      VarHandle.releaseFence(); // the entries' bytes before the tail that hands them over
      ring.putInt(sqTail, ring.getInt(sqTail) + toSubmit);
      pending = 0;
    }
    int flags = minComplete > 0 || deferredTaskRun ? ENTER_GETEVENTS : 0;
    long n = Library.LIBC.syscall(SYS_ENTER, fd, toSubmit, minComplete, flags, 0, 0);
    return n >= 0 ? (int) n : -Posix.errno();
  }

  /**
   * Takes the oldest completion into {@code into}.
   *
   * @return false if there is none
   */
  public boolean completion(Completion into) {
    int head = ring.getInt(cqHead);
    int tail = ring.getInt(cqTail);
    VarHandle.acquireFence(); // the completion's bytes no earlier than the tail that published it
    if (head == tail) {
      return false;
    }
    long offset = cqes + (long) (head & cqMask) * CQE_SIZE;
    into.userData = ring.getLong(offset);
    into.result = ring.getInt(offset + 8);
    VarHandle.releaseFence(); // done reading the entry before giving its slot back
    ring.putInt(cqHead, head + 1);
    return true;
  }

  /** Unmaps the rings and closes the instance; the kernel cancels what is still in flight. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    unmap(sqesAddress, sqesSize);
    unmap(ringAddress, ringSize);
    Library.LIBC.close(fd);
  }
}
