package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Daemons of a {@link ServiceFixture}'s root run as processes of their own, for tests that kill one
 * (SIGKILL cannot be sent to a service inside the test's JVM). Each logs to {@code <dir>/<name>.log}.
 */
final class DaemonProcesses implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private final ServiceFixture svc;
  private final List<Process> processes = new ArrayList<>();

  DaemonProcesses(ServiceFixture svc) {
    this.svc = svc;
  }

  /** Starts {@code refcache daemon} on the fixture's root and waits until it answers {@code ls}. */
  Process start(String name) throws Exception {
    List<String> cmd = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dfile.encoding=ISO-8859-1",
        "-cp", System.getProperty("java.class.path"), "org.refcache.cli.Main", "daemon",
        "--root", svc.root.toString(), "--mountpoint", svc.mountpoint.toString(), "--socket", svc.socket.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(svc.dir.resolve(name + ".log").toFile());
    pb.environment().remove("NOTIFY_SOCKET");
    Process p = pb.start();
    processes.add(p);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("daemon exited " + p.exitValue() + ":\n" + log(name));
      }
      if (svc.cli("ls").exit() == 0) {
        return p;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("daemon not ready in " + START_TIMEOUT + ":\n" + log(name));
  }

  /** What the daemon started as {@code name} logged so far. */
  String log(String name) throws IOException {
    Path f = svc.dir.resolve(name + ".log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  /** Kills every daemon still running (before the fixture's own teardown unmounts). */
  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
