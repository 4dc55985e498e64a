package org.refcache.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.refcache.cli.Main;
import org.refcache.cli.Terminal;
import org.refcache.protocol.ControlProtocol;
import org.refcache.testing.Mounts;

/**
 * A real service on a private temporary root, mountpoint and socket, run in the test's JVM, and the
 * {@code refcache} command run in-process against it. {@link #close()} stops the service and then lazily
 * detaches anything still mounted under the temporary directory, so no test leaves a mount behind even
 * when it fails half-way.
 */
public final class ServiceFixture implements AutoCloseable {
  /** The temporary directory; its name matches what scripts/test.sh sweeps after an aborted run. */
  public final Path dir;
  public final Path root;
  public final Path mountpoint;
  public final Path socket;
  private Daemon daemon;
  private UnaryOperator<DaemonConfig> configChange = UnaryOperator.identity();
  private org.refcache.core.layer.LayerLimits layerLimits =
      org.refcache.core.layer.LayerLimits.DEFAULTS;

  /**
   * What one run of the command printed and returned; {@code stdout} is {@code out}'s bytes (for
   * output that is not text, {@code files -z}).
   */
  public record Run(int exit, String out, String err, byte[] stdout) {
    /** stdout without its trailing newline. */
    public String line() {
      return out.strip();
    }

    // Two runs are equal when they printed the same bytes (a record compares arrays by identity).
    @Override
    public boolean equals(Object o) {
      return o instanceof Run r && exit == r.exit && out.equals(r.out) && err.equals(r.err)
          && java.util.Arrays.equals(stdout, r.stdout);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(exit, out, err, java.util.Arrays.hashCode(stdout));
    }

    @Override
    public String toString() {
      return "Run[exit=" + exit + ", out=" + out + ", err=" + err + "]";
    }
  }

  private ServiceFixture(Path dir) {
    this.dir = dir;
    this.root = dir.resolve("root");
    this.mountpoint = dir.resolve("mnt");
    this.socket = dir.resolve("run/refcache.sock");
  }

  /** Creates the temporary directory only; the caller starts the service (or a process of its own). */
  public static ServiceFixture prepare() throws IOException {
    return new ServiceFixture(Files.createTempDirectory("refcache-test-daemon-"));
  }

  /** Creates the directories and starts the service. */
  public static ServiceFixture start() throws IOException {
    ServiceFixture f = prepare();
    try {
      f.startService();
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  public DaemonConfig config() {
    return configChange.apply(new DaemonConfig(root, mountpoint, socket).withLayerLimits(layerLimits));
  }

  /** Later starts (and restarts) of the service use {@link #config()} changed by {@code change}. */
  public ServiceFixture configure(UnaryOperator<DaemonConfig> change) {
    configChange = change;
    return this;
  }

  /** The layer limits of the services started from now on (a restart included). */
  public ServiceFixture layerLimits(org.refcache.core.layer.LayerLimits limits) {
    this.layerLimits = limits;
    return this;
  }

  public void startService() throws IOException {
    daemon = Daemon.start(config());
  }

  public void stopService() {
    if (daemon != null) {
      daemon.close();
      daemon = null;
    }
  }

  /** Stops the service as SIGTERM would and starts a new one on the same root. */
  public void restart() throws IOException {
    stopService();
    startService();
  }

  public Daemon daemon() {
    return daemon;
  }

  /** {@code <mountpoint>/refs/<id>}. */
  public Path tree(String id) {
    return mountpoint.resolve("refs").resolve(id);
  }

  /** Runs {@code refcache args...} in-process with {@code REFCACHE_SOCKET} pointing at this service. */
  public Run cli(String... args) {
    return run(Map.of(DaemonConfig.SOCKET_ENV, socket.toString()), args);
  }

  /** Runs {@code refcache args...} in-process with the given environment. */
  public static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
    PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
    int code = Main.run(args, new Terminal(o, e, env, false, out));
    o.flush();
    e.flush();
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }

  /** Runs the command and fails unless it exits 0; returns stdout stripped. */
  public String ok(String... args) {
    Run r = cli(args);
    if (r.exit() != 0) {
      throw new AssertionError("refcache " + String.join(" ", args) + " exited " + r.exit() + ": " + r.err());
    }
    return r.line();
  }
  /** The IDs {@code refcache ls} lists, in its order. */
  public List<String> recordIds() throws IOException {
    List<String> ids = new ArrayList<>();
    ControlProtocol.JSON.readTree(ok("ls", "--format", "json")).forEach(r -> ids.add(r.path("id").asText()));
    return ids;
  }

  /** What {@code refcache info --format json ID} says of {@code id} (which must exist). */
  public JsonNode info(String id) throws IOException {
    return ControlProtocol.JSON.readTree(ok("info", "--format", "json", id));
  }


  @Override
  public void close() throws IOException {
    List<Throwable> failures = new ArrayList<>();
    try {
      stopService();
    } catch (RuntimeException e) {
      failures.add(e);
    }
    try {
      Mounts.detachAllUnder(dir);
    } catch (IOException | RuntimeException e) {
      failures.add(e);
    }
    deleteTree(dir);
    if (!failures.isEmpty()) {
      AssertionError a = new AssertionError("fixture teardown failed");
      failures.forEach(a::addSuppressed);
      throw a;
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    Files.walkFileTree(p, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
