package org.refcache.daemon;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.registry.RegistryBlobs;
import org.refcache.fuse.MountTable;
import org.refcache.fuse.FuseMount;
import org.refcache.fuse.FuseOptions;
import org.refcache.posix.FileNames;
import org.refcache.posix.Printable;
import org.refcache.posix.SdNotify;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: the wiring of cache, held handles, FUSE view, bind mounts and control socket.
 *
 * <p>Start order: the state root is created 0700 and locked ({@link PrivateDirectories},
 * {@link StateRootLock}: one service per root); a {@code service.json} save that a crash cut short is
 * discarded; directories; a stale mount at the mountpoint (left by a crash) is detached; the cache opens
 * (LMDB); held handles are re-acquired; the FUSE view mounts and must answer a lookup; bind mounts are
 * re-made; the control socket opens; systemd hears {@code READY=1}. {@link #close()} undoes it in
 * reverse: stop accepting, detach bind mounts, unmount the view, close LMDB, unlock the root. Held
 * handles are not released at shutdown, so mutable refs survive a restart.
 *
 * <p>The state root and the mountpoint are the service's alone, 0700 ({@link PrivateDirectories}); the
 * view is mounted {@code nosuid,nodev} unless {@link DaemonConfig#view()} grants more.
 */
public final class Daemon implements AutoCloseable {

  /** {@link #URING_ENV}'s choice: {@code 1} on, {@code 0} off, anything else the default. */
  static boolean uringWanted(String env) {
    if ("1".equals(env)) {
      return true;
    }
    return !"0".equals(env) && FuseOptions.DEFAULT_URING;
  }
  private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
  private static final Duration MOUNT_ANSWER_TIMEOUT = Duration.ofSeconds(30);
  /**
   * {@code 0}: the view's kernel transport answers opens per request (passthrough) instead of
   * letting the kernel open files without requests ({@link FuseOptions#opensWithoutRequests}, the
   * default).
   */
  public static final String OPENS_WITHOUT_REQUESTS_ENV = "REFCACHE_FUSE_OPENS_WITHOUT_REQUESTS";
  /**
   * {@code 1}: the kernel transport asks for FUSE over io_uring, {@code 0}: it does not; unset:
   * {@link FuseOptions#DEFAULT_URING}. Without {@code fuse.enable_uring=1} from root the kernel
   * does not offer it and the view stays on {@code /dev/fuse} (one log line says so).
   */
  public static final String URING_ENV = "REFCACHE_FUSE_URING";

  private final DaemonConfig config;
  private final StateRootLock rootLock;
  private final CacheManager cache;
  private final FuseMount fuse;
  private final RefService service;
  private final ServiceTreeSource trees;
  private final ControlServer control;
  private final GcScheduler gc;
  private boolean closed;

  private Daemon(DaemonConfig config, StateRootLock rootLock, CacheManager cache, FuseMount fuse,
      RefService service, ServiceTreeSource trees, ControlServer control, GcScheduler gc) {
    this.gc = gc;
    this.config = config;
    this.rootLock = rootLock;
    this.cache = cache;
    this.fuse = fuse;
    this.service = service;
    this.trees = trees;
    this.control = control;
  }

  /**
   * Starts the service and tells systemd (when it started us) that it is ready.
   *
   * @throws StateRootInUseException when another service runs on the same state root
   */
  public static Daemon start(DaemonConfig config) throws IOException {
    if (!FileNames.byteExact()) {
      // Names that are not UTF-8 would be changed into U+FFFD on the way: refuse, not corrupt.
      throw new IOException("the JVM's default charset is " + Charset.defaultCharset()
          + ": file names would not be kept byte for byte; run the service with"
          + " -Dfile.encoding=ISO-8859-1 (scripts/refcache does)");
    }
    String jnu = System.getProperty("sun.jnu.encoding", "");
    if (!Charset.isSupported(jnu) || !Charset.forName(jnu).equals(StandardCharsets.UTF_8)) {
      // java.nio.file encodes paths in the locale's charset: under C/POSIX no non-ASCII path works.
      throw new IOException("the locale's charset is " + jnu + ", not UTF-8: paths from clients"
          + " and tarballs with non-ASCII names would fail; run the service with LC_ALL=C.UTF-8"
          + " (scripts/refcache does)");
    }
    for (Path p : new Path[] {config.root(), config.mountpoint()}) {
      // Both are joined with byte-string names below them; text and bytes agree only on ASCII.
      if (!StandardCharsets.US_ASCII.newEncoder().canEncode(p.toString())) {
        throw new IOException("the state root and the mountpoint must be ASCII paths: " + p);
      }
    }
    LOG.info("starting: root {}, mountpoint {} ({}), socket {}", Printable.text(config.root().toString()),
        Printable.text(config.mountpoint().toString()), config.view(), Printable.text(config.socket().toString()));
    LOG.info("digests: {}", org.refcache.core.digest.Digester.implementation());
    HeapHeadroom.install();
    PrivateDirectories.createRoot(config.root());
    // Before anything in the root is looked at: a second service must not touch the first one's state.
    StateRootLock rootLock = StateRootLock.acquire(config.root());
    try {
      return startLocked(config, rootLock);
    } catch (IOException | RuntimeException e) {
      rootLock.close();
      throw e;
    }
  }

  /** The rest of {@link #start}, with the state root locked by this service. */
  private static Daemon startLocked(DaemonConfig config, StateRootLock rootLock) throws IOException {
    ServiceState.discardUnfinishedSave(config.root().resolve(ServiceState.FILE));
    Files.createDirectories(config.socket().getParent());
    ControlServer.requireNoLiveService(config.socket());
    if (Files.exists(config.mountpoint()) || MountTable.isMountPoint(config.mountpoint())) {
      MountTable.detachAt(config.mountpoint());
    }
    PrivateDirectories.create(config.mountpoint());
    PrivateDirectories.warnIfReachable(config.root(), config.mountpoint(), config.view());

    LOG.info("layer limits: {}", config.layerLimits());
    RegistryAccess registries = new RegistryAccess(config.authFile(), FetchDisplay.onStderr());
    // Lazy blobs of pulled images are bound to the registry again from what their records stored.
    RegistryBlobs registryBlobs = new RegistryBlobs(registries);
    CacheManager cache = CacheManager.open(
        new CacheConfig(config.root(), null, registryBlobs, config.layerLimits()));
    FuseMount fuse = null;
    ControlServer control = null;
    GcScheduler gc = null;
    try {
      HeldHandles held = HeldHandles.restore(cache, config.root());
      ServiceTreeSource trees = new ServiceTreeSource(cache, held);
      fuse = FuseMount.mount(trees, config.mountpoint(),
          FuseOptions.defaults().withTransport(config.transport()).withPrivileges(config.view())
              .withOpensWithoutRequests(!"0".equals(System.getenv(OPENS_WITHOUT_REQUESTS_ENV)))
              .withUring(uringWanted(System.getenv(URING_ENV))));
      awaitMountAnswers(config.mountpoint());
      FuseMount view = fuse;
      RefService service = new RefService(cache, held, config.mountpoint(), MountTargets.of(config),
          view::invalidate);
      service.restoreMounts();
      CacheMaintenance maintenance = new CacheMaintenance(cache, view::invalidate, config.gcPolicy(), config.root());
      gc = new GcScheduler(config.gcPolicy(), maintenance, config.root());
      service.onImport(gc::imported);
      RegistryOperations registry = new RegistryOperations(
          new PullService(cache, registries, registryBlobs, service), new PushService(registries, service));
      control = ControlServer.open(config.socket(), new RequestHandler(service, maintenance, registry));
      Daemon d = new Daemon(config, rootLock, cache, fuse, service, trees, control, gc);
      gc.start();
      SdNotify.notify("READY=1\nSTATUS=serving " + config.mountpoint());
      LOG.info("ready: refs at {}/refs, control socket {}", Printable.text(config.mountpoint().toString()),
          Printable.text(config.socket().toString()));
      return d;
    } catch (IOException | RuntimeException e) {
      if (gc != null) {
        gc.close();
      }
      if (control != null) {
        control.close();
      }
      if (fuse != null) {
        closeQuietly(fuse, e);
      }
      cache.close();
      throw e;
    }
  }

  /**
   * Waits until the kernel shows a FUSE mount at {@code mountpoint} and a lookup through it is answered.
   * The lookup runs on its own thread so a mount that hangs fails the start instead of blocking it.
   */
  private static void awaitMountAnswers(Path mountpoint) throws IOException {
    long deadline = System.nanoTime() + MOUNT_ANSWER_TIMEOUT.toNanos();
    while (true) {
      boolean fuseMounted = MountTable.at(mountpoint).stream().anyMatch(m -> m.fsType().startsWith("fuse"));
      if (fuseMounted) {
        CompletableFuture<Boolean> probe = CompletableFuture.supplyAsync(
            () -> Files.isDirectory(mountpoint.resolve("refs")), r -> {
              Thread t = new Thread(r, "refcache-mount-probe");
              t.setDaemon(true);
              t.start();
            });
        try {
          long left = Math.max(1, deadline - System.nanoTime());
          if (probe.get(left, TimeUnit.NANOSECONDS)) {
            return;
          }
        } catch (TimeoutException e) {
          throw new IOException("the FUSE mount at " + mountpoint + " does not answer");
        } catch (ExecutionException e) {
          throw new IOException("probing the FUSE mount at " + mountpoint + " failed", e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the FUSE mount", e);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("no FUSE mount answered at " + mountpoint + " within " + MOUNT_ANSWER_TIMEOUT);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the FUSE mount", e);
      }
    }
  }

  public DaemonConfig config() {
    return config;
  }

  /** The operations the control socket serves (also callable in-process). */
  public RefService service() {
    return service;
  }

  /** What the FUSE view is served from (for tests that look past the kernel's caches). */
  ServiceTreeSource trees() {
    return trees;
  }

  /** How the view is served: the kernel transport falls back to libfuse where mount(2) is refused. */
  FuseOptions.Transport viewTransport() {
    return fuse.transport();
  }

  /**
   * Runs the service in the foreground until SIGTERM or SIGINT, then stops it in order.
   *
   * @return the exit status: 0 after a clean stop
   */
  public static int runUntilSignalled(DaemonConfig config) throws IOException, InterruptedException {
    ShutdownSignals signals = ShutdownSignals.install();
    Daemon daemon = start(config);
    try {
      String why = signals.await();
      LOG.info("{} received: stopping", why);
      SdNotify.notify("STOPPING=1");
    } finally {
      daemon.close();
    }
    LOG.info("stopped");
    return 0;
  }

  /** Stops accepting, detaches bind mounts, unmounts the view, closes LMDB, unlocks the root. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    gc.close();
    control.close();
    service.detachMounts();
    try {
      fuse.close();
    } catch (RuntimeException e) {
      LOG.error("unmounting {} failed: {}", Printable.text(config.mountpoint().toString()), Printable.line(e.toString()), e);
    }
    try {
      if (MountTable.isMountPoint(config.mountpoint())) {
        LOG.warn("{} still mounted after unmount; detaching", Printable.text(config.mountpoint().toString()));
        MountTable.detachAt(config.mountpoint());
      }
    } catch (IOException e) {
      LOG.error("cannot detach {}: {}", Printable.text(config.mountpoint().toString()), Printable.line(e.toString()));
    }
    try {
      cache.close();
    } finally {
      rootLock.close();
    }
  }

  private static void closeQuietly(FuseMount fuse, Exception cause) {
    try {
      fuse.close();
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }
}
