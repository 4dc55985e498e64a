package org.refcache.fuse.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FUSE file system served straight from {@code /dev/fuse}, without libfuse: this class mounts
 * ({@code mount(2)}, so root is needed), negotiates {@code INIT}, and runs worker threads that
 * each read a request, hand it to the {@link Handler} and write its reply. The kernel gives each
 * request to one reader, so workers need no coordination; each owns its two buffers.
 *
 * <p>Why not libfuse 2.9's high-level API: it names files by path and gives each hard link its
 * own kernel inode (their attributes go stale), has no {@code RENAME2} and no parallel directory
 * operations, and never passes a ctime-only {@code SETATTR} on. Inode numbers ("node IDs") here
 * are the handler's to choose.
 *
 * <p>The session ends when the device answers {@code ENODEV}: after the file system was unmounted
 * (lazily: once nothing holds it any more) or the connection aborted.
 */
public final class FuseSession implements AutoCloseable {

  static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);

  /** What the file system does with requests; called from many worker threads at once. */
  public interface Handler {

    /** Answers {@code request} through {@code reply}, exactly once (not for FORGET). */
    void handle(Request request, Reply reply);

    /** The kernel drops {@code lookups} references to {@code nodeId} (no reply). */
    void forget(long nodeId, long lookups);
  }

  /**
   * How the session is mounted.
   *
   * @param fsName   the source column of the mount table ({@code refcache})
   * @param subtype  shown as type {@code fuse.<subtype>}
   * @param options  further mount options ({@code allow_other}, {@code default_permissions})
   * @param flags    {@code mount(2)} flags: {@link Mounting#MS_NOSUID}, {@link Mounting#MS_NODEV},
   *                 {@link Mounting#MS_RDONLY} (0: setuid programs and device nodes work)
   * @param maxWrite the largest write request; reads are as large
   * @param threads  worker threads
   * @param passthrough ask for passthrough (FUSE 7.40, Linux 6.9): files the handler opens with
   *                 a backing file are read by the kernel straight from it
   * @param atomicTruncate ask for {@code FUSE_ATOMIC_O_TRUNC} ({@code O_TRUNC} carried by OPEN
   *                 instead of a SETATTR after it); a handler that answers OPEN with ENOSYS must
   *                 not, or the kernel would truncate nothing (it skips the SETATTR then)
   * @param uring    ask for FUSE over io_uring (Linux 6.14+ with {@code fuse.enable_uring=1}):
   *                 after INIT, requests come through ring entries served by {@link RingWorker}s
   *                 instead of the device; when the kernel does not offer it or refuses the
   *                 entries, the session stays on the device and says why in one log line
   */
  public record Settings(String fsName, String subtype, List<String> options, long flags,
                         int maxWrite, int threads, boolean passthrough, boolean atomicTruncate,
                         boolean uring) {

    public Settings {
      options = List.copyOf(options);
      if ((flags & ~(Mounting.MS_NOSUID | Mounting.MS_NODEV | Mounting.MS_RDONLY)) != 0) {
        throw new IllegalArgumentException("unexpected mount flags: 0x" + Long.toHexString(flags));
      }
      if (maxWrite < 4096 || maxWrite % 4096 != 0 || maxWrite > 1 << 20) {
        throw new IllegalArgumentException("maxWrite must be a multiple of 4 KiB up to 1 MiB");
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be positive");
      }
    }
  }

  /** Headers and the largest request structure before a write's data. */
  private static final int REQUEST_OVERHEAD = 4096;
  private static final int FLAGS_WANTED = FuseKernel.ASYNC_READ | FuseKernel.ATOMIC_O_TRUNC
      | FuseKernel.BIG_WRITES | FuseKernel.PARALLEL_DIROPS | FuseKernel.MAX_PAGES
      | FuseKernel.CACHE_SYMLINKS | FuseKernel.DO_READDIRPLUS | FuseKernel.READDIRPLUS_AUTO
      | FuseKernel.HANDLE_KILLPRIV_V2;

  private final Path mountpoint;
  private final Settings settings;
  private final Handler handler;
  private final int fd;
  private final List<Thread> workers = new ArrayList<>();
  /** Device readers and ring workers still running; the last one to end closes the device. */
  private final java.util.concurrent.atomic.AtomicInteger running =
      new java.util.concurrent.atomic.AtomicInteger();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile int kernelMinor;
  private volatile boolean passthrough;
  /** The mount's device in mountinfo ({@code 0:43}), to know it again after the session ended. */
  private volatile String mountDevice;
  /** Guards {@link #fd} for calls outside the workers' own reads and replies. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock device =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private boolean deviceClosed;
  /** Requests served, per opcode (diagnostics and tests). */
  private final java.util.concurrent.atomic.LongAdder[] served = newCounters();
  /** Requests that came through ring entries rather than the device. */
  private final java.util.concurrent.atomic.LongAdder servedByRing =
      new java.util.concurrent.atomic.LongAdder();
  private final AtomicBoolean ringRefusalLogged = new AtomicBoolean();
  /**
   * Whether a request came through a ring entry: the kernel uses the ring once every queue has an
   * entry and does not go back, and sends only FORGET, BATCH_FORGET and INTERRUPT through the
   * device then, so the device readers but the first end at their next request (their buffers go).
   */
  private volatile boolean ringServing;

  private static java.util.concurrent.atomic.LongAdder[] newCounters() {
    java.util.concurrent.atomic.LongAdder[] counters = new java.util.concurrent.atomic.LongAdder[64];
    for (int i = 0; i < counters.length; i++) {
      counters[i] = new java.util.concurrent.atomic.LongAdder();
    }
    return counters;
  }

  /** How many requests with {@code opcode} the session has served. */
  public long served(int opcode) {
    return opcode >= 0 && opcode < served.length ? served[opcode].sum() : 0;
  }

  /**
   * The requests served so far, per opcode ({@code "LOOKUP 12, GETATTR 3, total 15"}): logged when
   * the session ends, for whoever measures a workload by its requests (scripts/bench.sh).
   */
  String servedSummary() {
    StringBuilder b = new StringBuilder();
    long total = 0;
    for (int op = 0; op < served.length; op++) {
      long n = served[op].sum();
      if (n > 0) {
        b.append(FuseKernel.opcodeName(op)).append(' ').append(n).append(", ");
        total += n;
      }
    }
    return b.append("total ").append(total).toString();
  }
  /** Notifications are written from any thread (not a worker's): their own buffer, one at once. */
  private final ByteBuffer notifications =
      ByteBuffer.allocateDirect(4096 + 64).order(ByteOrder.LITTLE_ENDIAN);
  private final Pointer notificationMemory =
      Pointer.wrap(Runtime.getSystemRuntime(), notifications);

  private FuseSession(Path mountpoint, Settings settings, Handler handler, int fd) {
    this.mountpoint = mountpoint;
    this.settings = settings;
    this.handler = handler;
    this.fd = fd;
  }

  /**
   * Opens {@code /dev/fuse}, mounts it at {@code mountpoint} and starts the workers. Returns at
   * once: the kernel queues requests until {@code INIT} is answered.
   *
   * @throws java.nio.file.AccessDeniedException without the right to mount ({@code EPERM})
   * @throws IOException                          if the device cannot be opened or mounted
   */
  public static FuseSession mount(Path mountpoint, Settings settings, Handler handler)
      throws IOException {
    int fd = Descriptors.open(Path.of("/dev/fuse"), Posix.O_RDWR | Posix.O_CLOEXEC, 0);
    StringBuilder data = new StringBuilder("fd=").append(fd)
        .append(",rootmode=40000,user_id=0,group_id=0");
    for (String option : settings.options()) {
      data.append(',').append(option);
    }
    try {
      Mounting.mount(settings.fsName(), mountpoint, "fuse." + settings.subtype(), settings.flags(),
          data.toString());
    } catch (IOException e) {
      Descriptors.close(fd);
      throw e;
    }
    FuseSession session = new FuseSession(mountpoint, settings, handler, fd);
    session.mountDevice = MountDevice.at(mountpoint);
    session.start();
    return session;
  }

  private void start() {
    running.set(settings.threads());
    for (int i = 0; i < settings.threads(); i++) {
      int index = i;
      Thread worker = new Thread(() -> serve(index), "refcache-fuse-" + i);
      worker.setDaemon(true);
      workers.add(worker);
      worker.start();
    }
  }

  public Path mountpoint() {
    return mountpoint;
  }

  /** The kernel's protocol minor version, once INIT arrived (0 before). */
  public int kernelMinor() {
    return kernelMinor;
  }

  /** Whether every worker has stopped: the file system is gone. */
  public boolean ended() {
    return ended.getCount() == 0;
  }

  /** Waits up to {@code millis} for the workers to stop; whether they did. */
  public boolean awaitEnd(long millis) throws InterruptedException {
    return ended.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void serve(int index) {
    Runtime runtime = Runtime.getSystemRuntime();
    int size = settings.maxWrite() + REQUEST_OVERHEAD;
    ByteBuffer in = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
    Request request = new Request(in, Pointer.wrap(runtime, in));
    Reply reply = new Reply(fd, out, Pointer.wrap(runtime, out));
    Pointer inMemory = Pointer.wrap(runtime, in);
    try {
      while (true) {
        long n = Descriptors.read(fd, inMemory, size);
        if (n < 0) {
          int errno = (int) -n;
          if (errno == Errno.EINTR || errno == Errno.EAGAIN || errno == Errno.ENOENT) {
            continue; // interrupted, or a request the kernel withdrew meanwhile
          }
          if (errno != Errno.ENODEV) {
            LOG.warn("reading {} failed: {}", Printable.text(mountpoint.toString()), ErrnoMapper.name(errno));
          }
          return;
        }
        if (n < FuseKernel.IN_HEADER_SIZE) {
          LOG.warn("short FUSE request ({} bytes) ignored", n);
          continue;
        }
        request.received((int) n);
        dispatch(request, reply);
        if (index > 0 && ringServing) {
          return; // the ring serves requests now: one reader is enough for forgets and interrupts
        }
      }
    } finally {
      workerEnded();
    }
  }

  /** A device reader or ring worker stopped; the last one closes the device and ends the session. */
  void workerEnded() {
    if (running.decrementAndGet() == 0) {
      try {
        LOG.info("{}: requests served: {} ({} through io_uring)",
            Printable.text(mountpoint.toString()), servedSummary(), servedByRing.sum());
        // Only now: a descriptor number closed under a reading worker could be reused by another
        // open, and that worker would read someone else's file; notifications and ioctls from
        // other threads check under the same lock.
        device.writeLock().lock();
        try {
          deviceClosed = true;
          Descriptors.close(fd);
        } finally {
          device.writeLock().unlock();
        }
      } finally {
        ended.countDown();
      }
    }
  }

  /** Requests served through io_uring ring entries (0 when the session stayed on the device). */
  public long servedByRing() {
    return servedByRing.sum();
  }

  /** {@link #dispatch} of a request a {@link RingWorker} took from its entry. */
  void dispatchFromRing(Request request, Reply reply) {
    servedByRing.increment();
    if (!ringServing) {
      ringServing = true;
    }
    dispatch(request, reply);
  }

  /** A ring entry was refused ({@code errno} of its REGISTER): the kernel stays on the device. */
  void ringRefused(int qid, int errno) {
    if (ringRefusalLogged.compareAndSet(false, true)) {
      LOG.warn("{}: the kernel refused FUSE over io_uring (registering an entry of queue {}: {}):"
          + " requests keep going through /dev/fuse", Printable.text(mountpoint.toString()), qid,
          ErrnoMapper.name(errno));
    }
  }

  private void dispatch(Request request, Reply reply) {
    int opcode = request.opcode();
    if (opcode >= 0 && opcode < served.length) {
      served[opcode].increment();
    }
    if (LOG.isTraceEnabled()) {
      LOG.trace("request {}: opcode {} node {} from pid {} ({} bytes)", request.unique(), opcode,
          request.nodeId(), request.pid(), request.length());
    }
    reply.reset(request.unique());
    try {
      switch (opcode) {
        case FuseKernel.INIT -> init(request, reply);
        case FuseKernel.DESTROY -> reply.ok();
        case FuseKernel.INTERRUPT -> {
          // Every operation finishes on its own; the kernel waits for its reply either way.
        }
        case FuseKernel.FORGET -> handler.forget(request.nodeId(), request.i64(0));
        case FuseKernel.BATCH_FORGET -> {
          int count = request.i32(0);
          for (int i = 0; i < count; i++) {
            handler.forget(request.i64(8 + 16 * i), request.i64(16 + 16 * i));
          }
        }
        default -> handler.handle(request, reply);
      }
    } catch (Request.MalformedRequestException e) {
      LOG.warn("malformed FUSE request: {}", Printable.line(e.getMessage()));
      if (!FuseKernel.noReply(opcode) && !reply.sent()) {
        reply.error(Errno.EINVAL);
      }
      return;
    } catch (RuntimeException | Error e) {
      LOG.warn("FUSE opcode {} failed: {}", opcode, Printable.line(e.toString()));
      LOG.debug("FUSE opcode {} failed", opcode, e);
      if (!FuseKernel.noReply(opcode) && !reply.sent()) {
        reply.error(Errno.EIO);
      }
      return;
    }
    if (!FuseKernel.noReply(opcode) && !reply.sent()) {
      LOG.warn("FUSE opcode {} left unanswered: EIO", opcode);
      reply.error(Errno.EIO);
    }
  }

  /**
   * Tells the kernel to drop its cached name {@code name} in directory {@code parentId} and
   * everything cached below it ({@code FUSE_NOTIFY_INVAL_ENTRY}). Must not be called from a
   * worker serving a request in that directory (the kernel takes the directory's lock).
   *
   * @return false if the kernel did not know the name (or the session is gone)
   */
  public boolean invalidateEntry(long parentId, byte[] name) {
    return notifyKernel(FuseKernel.NOTIFY_INVAL_ENTRY, 16 + name.length + 1, body -> {
      body.putLong(parentId);
      body.putInt(name.length);
      body.putInt(0);
      body.put(name);
      body.put((byte) 0);
    }, "a name in directory " + parentId);
  }

  /**
   * Tells the kernel to drop the cached attributes and pages of node {@code nodeId}
   * ({@code FUSE_NOTIFY_INVAL_INODE}, offset 0, length 0: every page); for a directory, its cached
   * listing (fs/fuse/readdir.c keeps it in the inode's pages and starts over when one is gone).
   *
   * @return false if the kernel did not know the node (or the session is gone)
   */
  public boolean invalidateInode(long nodeId) {
    return notifyKernel(FuseKernel.NOTIFY_INVAL_INODE, 24, body -> {
      body.putLong(nodeId);
      body.putLong(0); // off: from the first page
      body.putLong(0); // len: to the last
    }, "node " + nodeId);
  }

  /**
   * Writes notification {@code code} with a body of {@code bodyBytes} that {@code body} puts
   * after the header; one notification at a time, never once the device is closed.
   *
   * @return false if the kernel refused it (ENOENT: it did not know the node) or the session is gone
   */
  private boolean notifyKernel(int code, int bodyBytes,
                               java.util.function.Consumer<ByteBuffer> body, String what) {
    device.readLock().lock();
    try {
      if (deviceClosed) {
        return false;
      }
      synchronized (notifications) {
        notifications.clear();
        int total = FuseKernel.OUT_HEADER_SIZE + bodyBytes;
        notifications.putInt(total);
        notifications.putInt(code);
        notifications.putLong(0);
        body.accept(notifications);
        long n = Descriptors.write(fd, notificationMemory, total);
        if (n < 0 && n != -Errno.ENOENT) {
          LOG.debug("invalidating {} of {} failed: errno {}", what,
              Printable.text(mountpoint.toString()), -n);
        }
        return n >= 0;
      }
    } finally {
      device.readLock().unlock();
    }
  }

  /**
   * fuse_init_in: major 0, minor 4, max_readahead 8, flags 12. fuse_init_out: major, minor,
   * max_readahead, flags, max_background (u16), congestion_threshold (u16), max_write, time_gran,
   * max_pages (u16), map_alignment (u16), flags2, unused[7]: 64 bytes.
   */
  private void init(Request request, Reply reply) {
    int major = request.i32(0);
    int minor = request.i32(4);
    if (major != FuseKernel.MAJOR || minor < 27) {
      LOG.error("the kernel speaks FUSE {}.{}; 7.27 or later is needed", major, minor);
      reply.error(Errno.EPROTO);
      return;
    }
    kernelMinor = minor;
    int offered = request.i32(12);
    int offered2 = (offered & FuseKernel.INIT_EXT) != 0 ? request.i32(16) : 0;
    boolean canPassthrough = settings.passthrough() && minor >= FuseKernel.PASSTHROUGH_MINOR
        && (offered2 & FuseKernel.PASSTHROUGH_FLAG2) != 0;
    List<org.refcache.posix.IoUring> rings = settings.uring()
        ? RingTransport.open(mountpoint, offered2, settings.threads()) : List.of();
    int flags = offered & FLAGS_WANTED;
    if (!settings.atomicTruncate()) {
      flags &= ~FuseKernel.ATOMIC_O_TRUNC;
    }
    int answeredMinor = Math.min(minor, FuseKernel.MINOR);
    if (canPassthrough) {
      flags |= FuseKernel.INIT_EXT;
      answeredMinor = FuseKernel.PASSTHROUGH_MINOR;
    }
    int flags2 = canPassthrough ? FuseKernel.PASSTHROUGH_FLAG2 : 0;
    if (!rings.isEmpty()) {
      flags |= FuseKernel.INIT_EXT;
      flags2 |= FuseKernel.OVER_IO_URING_FLAG2;
    }
    ByteBuffer out = reply.begin();
    out.putInt(FuseKernel.MAJOR);
    out.putInt(answeredMinor);
    out.putInt(request.i32(8));
    out.putInt(flags);
    out.putShort((short) 16); // max_background
    out.putShort((short) 12); // congestion_threshold
    out.putInt(settings.maxWrite());
    out.putInt(1); // time_gran: nanosecond timestamps
    out.putShort((short) (settings.maxWrite() / 4096));
    out.putShort((short) 0); // map_alignment
    out.putInt(flags2);
    // max_stack_depth: backing files lie on a plain file system (depth 0), so 1.
    out.putInt(canPassthrough ? 1 : 0);
    for (int i = 0; i < 6; i++) {
      out.putInt(0);
    }
    boolean taken = reply.send();
    passthrough = canPassthrough;
    LOG.debug("FUSE {}.{} negotiated, flags {}, flags2 {}, passthrough {}", major, answeredMinor,
        Integer.toHexString(flags), Integer.toHexString(flags2), canPassthrough);
    if (!rings.isEmpty()) {
      // Only now: the kernel accepts ring entries once it has processed the INIT reply (until
      // then it answers EAGAIN), and from now on it holds every request until each queue has one.
      if (taken) {
        startRingWorkers(rings);
      } else {
        rings.forEach(org.refcache.posix.IoUring::close);
      }
    }
  }

  private void startRingWorkers(List<org.refcache.posix.IoUring> rings) {
    int queues = RingTransport.queues();
    for (int i = 0; i < rings.size(); i++) {
      RingWorker worker = new RingWorker(this, rings.get(i), fd, i % queues, settings.maxWrite());
      Thread thread = new Thread(worker, "refcache-fuse-ring-" + i);
      thread.setDaemon(true);
      running.incrementAndGet();
      thread.start();
    }
    LOG.info("{}: FUSE over io_uring: {} ring workers on {} queues",
        Printable.text(mountpoint.toString()), rings.size(), queues);
  }

  /** Whether files may be opened in passthrough mode ({@link #openBacking}). */
  public boolean passthrough() {
    return passthrough;
  }

  /**
   * Registers descriptor {@code fd} as a backing file ({@code FUSE_DEV_IOC_BACKING_OPEN}): the
   * ID to answer an open with, or -errno (EPERM without CAP_SYS_ADMIN). The kernel holds the file
   * itself; the ID must be closed with {@link #closeBacking} once no open refers to it any more.
   */
  public int openBacking(int backingFd) {
    Pointer map = jnr.ffi.Memory.allocateDirect(Runtime.getSystemRuntime(), 16, true);
    map.putInt(0, backingFd);
    device.readLock().lock();
    try {
      return deviceClosed ? -Errno.ENODEV : Descriptors.ioctl(fd, FuseKernel.IOC_BACKING_OPEN, map);
    } finally {
      device.readLock().unlock();
    }
  }

  /** Drops a backing file ID ({@code FUSE_DEV_IOC_BACKING_CLOSE}). */
  public void closeBacking(int backingId) {
    Pointer id = jnr.ffi.Memory.allocateDirect(Runtime.getSystemRuntime(), 4, true);
    id.putInt(0, backingId);
    device.readLock().lock();
    try {
      int rc = deviceClosed ? 0 : Descriptors.ioctl(fd, FuseKernel.IOC_BACKING_CLOSE, id);
      if (rc < 0) {
        LOG.debug("closing backing file {} failed: errno {}", backingId, -rc);
      }
    } finally {
      device.readLock().unlock();
    }
  }

  /**
   * Unmounts, lazily when busy; the workers end by themselves once the kernel lets go of the file
   * system (see {@link #awaitEnd}), and the last one closes the device. Idempotent.
   *
   * @return false if the mount was busy and only detached
   */
  public boolean unmount() {
    if (!closed.compareAndSet(false, true) || ended() && !deadMountLeft()) {
      return true;
    }
    try {
      Mounting.umount(mountpoint, 0);
      return true;
    } catch (IOException e) {
      LOG.debug("umount of {} failed ({}): detaching it", Printable.text(mountpoint.toString()),
          Printable.line(e.toString()));
    }
    try {
      Mounting.umount(mountpoint, Mounting.MNT_DETACH);
    } catch (IOException gone) {
      LOG.debug("{} was no longer mounted", Printable.text(mountpoint.toString()));
      return true;
    }
    return false;
  }

  /**
   * Whether this session's mount is still at the mountpoint though the session ended: an aborted
   * connection (through fusectl, or a daemon killed with ring entries in the kernel) ends the
   * workers but leaves the mount in the table. A session unmounted from outside has nothing left
   * there, and what was mounted there since is not this session's (another device).
   */
  private boolean deadMountLeft() {
    return mountDevice != null && mountDevice.equals(MountDevice.at(mountpoint));
  }

  @Override
  public void close() {
    unmount();
  }
}
