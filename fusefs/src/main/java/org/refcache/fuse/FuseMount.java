package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.refcache.fuse.kernel.FuseSession;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE mount of the view: {@code <mountpoint>/refs/<id>/...} for every ref of a
 * {@link RefTreeSource}. An idempotent {@link AutoCloseable}, in the manner of cryptomator's jfuse
 * {@code Fuse}: {@link #mount} returns only once the mount has answered a probe, {@link #close()}
 * unmounts and releases every lease.
 *
 * <p>The view ({@link RefFileSystem}, behind {@link ViewOperations}) is reached through one of
 * two transports: the kernel's FUSE device ({@link KernelBridge} over
 * {@code org.refcache.fuse.kernel}), or libfuse 2.9 ({@link LibfuseLoop}, loaded only when
 * chosen), whose multi-threaded loop runs on a thread of its own named
 * {@code refcache-fuse-<mountpoint>}. Readiness is a lookup of the root observed by the view while
 * this class stats the mountpoint.
 */
public final class FuseMount implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);
  private static final long PROBE_INTERVAL_MILLIS = 10;
  /** The kernel transport's largest read and write request: 1 MiB, the kernel's maximum. */
  private static final int MAX_WRITE = 1 << 20;

  private final Path mountpoint;
  private final FuseOptions options;
  private final RefTrees trees;
  private final OpenFiles files;
  private final UnlinkedFiles unlinked;
  private final RefFileSystem view;
  private final CountDownLatch loopEnded = new CountDownLatch(1);
  private final AtomicReference<Throwable> loopFailure = new AtomicReference<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  /** The kernel transport's session, or null under libfuse. */
  private volatile FuseSession session;
  private volatile KernelBridge bridge;
  /** The libfuse transport, or null under the kernel's. */
  private volatile LibfuseLoop libfuse;

  private FuseMount(Path mountpoint, FuseOptions options, RefTrees trees, OpenFiles files,
                    UnlinkedFiles unlinked, RefFileSystem view) {
    this.mountpoint = mountpoint;
    this.options = options;
    this.trees = trees;
    this.files = files;
    this.unlinked = unlinked;
    this.view = view;
  }

  /**
   * Mounts the view of {@code source} at {@code mountpoint} and waits until it answers.
   *
   * @param mountpoint an existing directory on which nothing is mounted
   * @throws NotDirectoryException if {@code mountpoint} is not a directory
   * @throws FileSystemException   if something is already mounted there
   * @throws IOException           if libfuse fails to mount, or the mount does not answer within
   *                               {@link FuseOptions#mountTimeout()} (nothing stays mounted then)
   */
  public static FuseMount mount(RefTreeSource source, Path mountpoint, FuseOptions options)
      throws IOException {
    Path at = mountpoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotDirectoryException(at.toString());
    }
    if (MountTable.isMountPoint(at)) {
      throw new FileSystemException(at.toString(), null, "something is already mounted there");
    }
    RefTrees trees = new RefTrees(source, options.leaseCacheSize());
    OpenFiles files = new OpenFiles();
    UnlinkedFiles unlinked = new UnlinkedFiles();
    Path capacityFallback = at.getParent() != null ? at.getParent() : at;
    RefFileSystem view = new RefFileSystem(source, trees, new FileHandles(files), unlinked,
        capacityFallback, options.entryTimeout(), options.kernelAttrTimeout());
    FuseMount mount = new FuseMount(at, options, trees, files, unlinked, view);
    mount.start();
    return mount;
  }

  private void start() throws IOException {
    if (options.transport() == FuseOptions.Transport.KERNEL) {
      try {
        startKernel();
        return;
      } catch (java.nio.file.AccessDeniedException e) {
        LOG.warn("cannot mount {} without libfuse ({}): falling back to libfuse 2.9",
            Printable.text(mountpoint.toString()), Printable.line(e.getMessage()));
      }
    }
    startLibfuse();
  }

  private void startKernel() throws IOException {
    boolean noOpens = options.opensWithoutRequests();
    bridge = new KernelBridge(view, noOpens, trees::releaseKept);
    session = FuseSession.mount(mountpoint, new FuseSession.Settings("refcache", "refcache",
        options.toMountOptions(), options.mountFlags(), MAX_WRITE, FuseOptions.KERNEL_THREADS,
        !noOpens, !noOpens, options.uring()), bridge);
    bridge.attach(session);
    Thread watcher = new Thread(() -> {
      try {
        while (!session.awaitEnd(60_000)) {
          // the session runs until unmounted
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        loopEnded.countDown();
      }
    }, "refcache-fuse-" + mountpoint);
    watcher.setDaemon(true);
    watcher.start();
    try {
      awaitAnswer();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    MountReadahead.raise(mountpoint);
    LOG.info("mounted the ref view at {} (FUSE device, kernel protocol 7.{}, {} workers, io_uring {}, "
        + "passthrough {}, opens {}, {})", Printable.text(mountpoint.toString()), session.kernelMinor(), FuseOptions.KERNEL_THREADS,
        options.uring() ? "asked for" : "off",
        session.passthrough() ? "on" : "off", noOpens ? "without requests" : "with requests",
        String.join(",", options.toMountOptions()) + "," + options.privileges().options());
  }

  private void startLibfuse() throws IOException {
    LibfuseLoop loaded = loadLibfuse();
    libfuse = loaded;
    Thread loop = new Thread(() -> {
      try {
        loaded.run();
      } catch (RuntimeException | Error e) {
        loopFailure.set(e);
      } finally {
        loopEnded.countDown();
      }
    }, "refcache-fuse-" + mountpoint);
    loop.setDaemon(true);
    loop.start();
    try {
      awaitAnswer();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    LOG.info("mounted the ref view at {} ({})", Printable.text(mountpoint.toString()), loaded.arguments());
  }

  /** The class of the libfuse transport: loaded by name, so only when it is chosen. */
  private static final String LIBFUSE_LOOP = "org.refcache.fuse.libfuse.LibfuseTransport";

  private LibfuseLoop loadLibfuse() throws IOException {
    try {
      return (LibfuseLoop) Class.forName(LIBFUSE_LOOP)
          .getConstructor(ViewOperations.class, Path.class, FuseOptions.class)
          .newInstance(view, mountpoint, options);
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LinkageError) {
        throw libfuseUnavailable(cause); // jnr-fuse's classes or libfuse itself missing
      }
      throw new IOException("cannot start libfuse 2.9 for " + mountpoint + ": " + cause, cause);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw libfuseUnavailable(e);
    }
  }

  private static IOException libfuseUnavailable(Throwable why) {
    return new IOException("the libfuse transport is not available (it needs jnr-fuse and "
        + "libfuse 2.9): " + why, why);
  }

  /** Stats the mountpoint until the file system has answered for its root. */
  private void awaitAnswer() throws IOException {
    long deadline = System.nanoTime() + options.mountTimeout().toNanos();
    while (true) {
      if (loopEnded.getCount() == 0) {
        throw new IOException("could not mount " + mountpoint, loopFailure.get());
      }
      try {
        Posix.lstat(mountpoint);
      } catch (IOException notYet) {
        // the mount may be coming up or failing: the loop's end says which
      }
      if (view.rootAnswered()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the mount at " + mountpoint + " did not answer within "
            + options.mountTimeout());
      }
      try {
        Thread.sleep(PROBE_INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while mounting " + mountpoint);
      }
    }
  }

  public Path mountpoint() {
    return mountpoint;
  }

  /** Whether the mount is up: not closed, and not unmounted from outside. */
  public boolean isMounted() {
    return !closed.get() && loopEnded.getCount() > 0;
  }

  /**
   * Forgets the cached lease of ref {@code id} (after it appeared, was committed or released), so
   * the next access opens the ref again, and tells the kernel that {@code /refs} changed. Files
   * open in it keep their lease until they are closed.
   */
  public void invalidate(String id) {
    KernelBridge b = bridge;
    // The kernel may hold files of the ref open without our knowing (opens without requests):
    // its tree (and so its data, also once its record is gone) is kept until it forgot them.
    boolean kept = b != null && b.holdsFilesOf(id) && trees.keepForHeldFiles(id);
    trees.invalidate(id);
    view.refsChanged();
    if (b != null) {
      b.invalidateRef(id, kept);
    }
  }

  /** How many refs are kept for files the kernel holds (tests). */
  int refsKeptForHeldFiles() {
    return trees.keptForHeldFiles();
  }

  /**
   * How many files are open through the mount. Tests only, and kept because nothing outside shows it:
   * the kernel drops a file from its tables before our RELEASE runs, so only this tells a test that
   * every open was released (no handle, descriptor or lease leaks).
   */
  int openFiles() {
    return files.size();
  }

  /** How many handles the view ever opened (tests: one per open of a real file). */
  long handlesOpened() {
    return files.registered();
  }


  /** Whether the kernel opens files without requests ({@link FuseOptions#opensWithoutRequests}). */
  boolean opensWithoutRequests() {
    return session != null && options.opensWithoutRequests();
  }

  /** Whether the kernel reads files of read-only refs itself (kernel transport, Linux 6.9+). */
  boolean passthrough() {
    FuseSession s = session;
    return s != null && s.passthrough();
  }

  /** Requests served through io_uring ring entries (kernel transport; 0 otherwise). */
  long servedByRing() {
    FuseSession s = session;
    return s == null ? 0 : s.servedByRing();
  }

  /** Requests of {@code opcode} served (kernel transport; 0 under libfuse). */
  long served(int opcode) {
    FuseSession s = session;
    return s == null ? 0 : s.served(opcode);
  }

  /** Which transport serves the mount. */
  public FuseOptions.Transport transport() {
    return session != null ? FuseOptions.Transport.KERNEL : FuseOptions.Transport.LIBFUSE;
  }

  /**
   * How many files unlinked while open the view still keeps. Tests only, and kept because such a file
   * has no name left to observe it by: only this shows that its last close let it go.
   */
  int unlinkedFiles() {
    return unlinked.size();
  }

  /**
   * How many refs have a cached lease. Tests only, and kept because the cache is invisible through
   * the mount by design (a cached lease and a fresh one serve the same tree); its bound is what is tested.
   */
  int cachedRefs() {
    return trees.size();
  }

  /**
   * Unmounts (lazily if busy) and releases every lease, open files' included. Idempotent; failures
   * are logged, never thrown, so shutdown always goes on.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    boolean stopped = unmount();
    LibfuseLoop loop = libfuse;
    if (loop != null) {
      loop.markUnmounted();
    }
    List<Exception> failures = new ArrayList<>();
    KernelBridge b = bridge;
    if (b != null) {
      b.closeNodeFiles(); // before the handles they hold go with the table
    }
    unlinked.close();
    try {
      files.close();
    } catch (IOException | RuntimeException e) {
      failures.add(e);
    }
    try {
      trees.close();
    } catch (RuntimeException e) {
      failures.add(e);
    }
    for (Exception failure : failures) {
      LOG.warn("releasing the view of {}: {}", Printable.text(mountpoint.toString()),
          Printable.line(failure.toString()));
      LOG.debug("releasing the view of {}", Printable.text(mountpoint.toString()), failure);
    }
    LOG.info("unmounted the ref view at {}{}", Printable.text(mountpoint.toString()),
        stopped ? "" : " (detached lazily: still busy)");
  }

  /**
   * Unmounts, then waits for the loop to end. Busy: detached lazily (the kernel keeps serving open
   * files until they are closed, then the loop ends by itself).
   *
   * @return whether the loop has ended
   */
  private boolean unmount() {
    if (session != null) {
      session.unmount();
    } else if (libfuse != null && loopEnded.getCount() > 0) {
      libfuse.unmount();
    }
    try {
      return loopEnded.await(options.unmountTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
