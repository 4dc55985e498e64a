package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.refcache.fuse.MountTable;
import org.refcache.posix.Mounting;
import org.refcache.testing.Mounts;

/**
 * {@code refcache daemon} as its own process, as systemd runs it: readiness, SIGTERM, a crash and the
 * stale mount it leaves.
 */
class DaemonProcessTest {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private ServiceFixture svc;
  private final List<Process> processes = new ArrayList<>();

  @BeforeEach
  void prepare() throws IOException {
    svc = ServiceFixture.prepare();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Process p : processes) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    svc.close();
  }

  /** Starts {@code refcache daemon} on the fixture's paths with the test's class path. */
  private Process startDaemon(String name, String notifySocket) throws IOException {
    return startDaemon(name, notifySocket, svc.mountpoint, svc.socket);
  }

  /** Starts {@code refcache daemon} on the fixture's root with its own mountpoint and socket. */
  private Process startDaemon(String name, String notifySocket, Path mountpoint, Path socket) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dfile.encoding=ISO-8859-1",
        "-cp", System.getProperty("java.class.path"), "org.refcache.cli.Main", "daemon",
        "--root", svc.root.toString(), "--mountpoint", mountpoint.toString(), "--socket", socket.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(svc.dir.resolve(name + ".log").toFile());
    pb.environment().remove("NOTIFY_SOCKET");
    if (notifySocket != null) {
      pb.environment().put("NOTIFY_SOCKET", notifySocket);
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private String log(String name) throws IOException {
    Path f = svc.dir.resolve(name + ".log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  /** Waits until {@code refcache ls} answers. */
  private void awaitReady(Process p, String name) throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new AssertionError("daemon exited " + p.exitValue() + ":\n" + log(name));
      }
      if (svc.cli("ls").exit() == 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("daemon not ready in " + START_TIMEOUT + ":\n" + log(name));
  }

  @Test
  void sigtermStopsTheServiceWithStatusZeroAndLeavesNoMount() throws Exception {
    Process p = startDaemon("daemon", null);
    awaitReady(p, "daemon");
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "f\n")));
    String id = svc.ok("import", tar.toString());
    String mutable = svc.ok("new", "--parent", id);
    Path dir = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", mutable, dir.toString());
    assertThat(Files.readString(dir.resolve("f"))).isEqualTo("f\n");
    assertThat(Mounts.under(svc.dir)).hasSize(2);

    p.destroy(); // SIGTERM

    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped in time").isTrue();
    assertThat(p.exitValue()).as("exit status; log:\n" + log("daemon")).isEqualTo(0);
    assertThat(Mounts.under(svc.dir)).isEmpty();
    assertThat(svc.socket).doesNotExist();
    assertThat(log("daemon")).contains("SIGTERM received");
  }

  @Test
  void aServiceStartedAfterACrashCleansTheStaleMountAndServesTheSameRefs() throws Exception {
    Process crashed = startDaemon("crashed", null);
    awaitReady(crashed, "crashed");
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "survives\n")));
    String id = svc.ok("import", tar.toString());
    String mutable = svc.ok("new", "--parent", id);
    Files.writeString(svc.tree(mutable).resolve("w"), "written before the crash\n");
    // Leave a mount behind the way a crash with a busy mount does: a second mount over the mountpoint.
    Path stale = Files.createDirectories(svc.dir.resolve("stale"));
    Mounting.bindMount(stale, svc.mountpoint, false);

    crashed.destroyForcibly(); // SIGKILL: no cleanup at all
    crashed.waitFor(30, TimeUnit.SECONDS);
    assertThat(MountTable.isMountPoint(svc.mountpoint)).as("something is left at the mountpoint").isTrue();

    Process next = startDaemon("next", null);
    awaitReady(next, "next");

    assertThat(MountTable.at(svc.mountpoint)).singleElement()
        .satisfies(m -> assertThat(m.fsType()).startsWith("fuse"));
    assertThat(Files.readString(svc.tree(id).resolve("f"))).isEqualTo("survives\n");
    assertThat(Files.readString(svc.tree(mutable).resolve("w"))).isEqualTo("written before the crash\n");
    Files.writeString(svc.tree(mutable).resolve("w2"), "and after\n");
    next.destroy();
    assertThat(next.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(next.exitValue()).isEqualTo(0);
  }

  @Test
  void readyIsNotifiedOnlyOnceTheMountAnswers() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")) || Files.isExecutable(Path.of("/usr/local/bin/python3")),
        "python3 receives the notification (Java 17 has no Unix datagram sockets)");
    Path notify = svc.dir.resolve("notify.sock");
    Path received = svc.dir.resolve("notify.txt");
    // Receives one datagram, then reports whether the mount answered at that moment.
    String script = String.join("\n",
        "import os, socket, sys",
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
        "s.bind(sys.argv[1])",
        "msg = s.recv(4096).decode()",
        "ok = os.path.isdir(os.path.join(sys.argv[3], 'refs'))",
        "open(sys.argv[2], 'w').write(msg + '\\nMOUNT_ANSWERED=' + str(ok) + '\\n')");
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "/usr/local/bin/python3";
    Process listener = new ProcessBuilder(python, "-c", script, notify.toString(), received.toString(),
        svc.mountpoint.toString()).redirectErrorStream(true).start();
    processes.add(listener);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!Files.exists(notify) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }

    Process p = startDaemon("notified", notify.toString());

    assertThat(listener.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("notification in time; log:\n"
        + log("notified")).isTrue();
    String text = Files.readString(received, StandardCharsets.UTF_8);
    assertThat(text).contains("READY=1").contains("MOUNT_ANSWERED=True");
    awaitReady(p, "notified");
    p.destroy();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aSecondDaemonOnTheSameRootExitsFourNamingTheFirstWhichKeepsServing() throws Exception {
    Process first = startDaemon("first", null);
    awaitReady(first, "first");
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "base\n")));
    String mutable = svc.ok("new", "--parent", svc.ok("import", tar.toString()));
    Path bound = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", mutable, bound.toString());
    Files.writeString(bound.resolve("w"), "not committed yet\n");
    byte[] held = Files.readAllBytes(svc.root.resolve(ServiceState.FILE));
    Path otherMountpoint = svc.dir.resolve("mnt2");
    Path otherSocket = svc.dir.resolve("run2/refcache.sock");

    Process second = startDaemon("second", null, otherMountpoint, otherSocket);

    assertThat(second.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the second one exits").isTrue();
    assertThat(second.exitValue()).as("exit status; log:\n" + log("second")).isEqualTo(4);
    assertThat(log("second")).contains("in use by another refcache daemon (PID " + first.pid());
    assertThat(first.isAlive()).isTrue();
    assertThat(MountTable.isMountPoint(otherMountpoint)).isFalse();
    assertThat(otherSocket).doesNotExist();
    assertThat(MountTable.isMountPoint(bound)).as("the first daemon's bind mount").isTrue();
    assertThat(Files.readAllBytes(svc.root.resolve(ServiceState.FILE))).as("the held state").isEqualTo(held);
    assertThat(Files.readString(svc.tree(mutable).resolve("w"))).isEqualTo("not committed yet\n");
    String committed = svc.ok("commit", mutable);
    assertThat(Files.readString(svc.tree(committed).resolve("w"))).isEqualTo("not committed yet\n");
    first.destroy();
    assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(first.exitValue()).isEqualTo(0);
  }

  @Test
  @Timeout(300) // without a client timeout, the client would wait for ever
  void aClientOfAStoppedDaemonGivesUpAfterItsTimeoutSayingWhatItWaitedFor() throws Exception {
    Process p = startDaemon("stopped", null);
    awaitReady(p, "stopped");
    ServiceFixture.Run r;
    signal("STOP", p);
    try {
      r = svc.cli("ls", "--timeout", "2");
    } finally {
      signal("CONT", p); // before anything touches its mount
    }

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("sent nothing for 2 s", "the answer to ls", svc.socket.toString());
    assertThat(svc.cli("ls", "--timeout", "2").exit()).as("answers again once continued").isZero();
    p.destroy();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
  }

  private static void signal(String name, Process p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start();
    assertThat(kill.waitFor()).as("kill -" + name).isZero();
  }
}
