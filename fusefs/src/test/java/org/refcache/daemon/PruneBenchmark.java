package org.refcache.daemon;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.refcache.cli.Main;
import org.refcache.cli.Terminal;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.ImmutableRef;
import org.refcache.core.cache.MutableRef;
import org.refcache.core.cache.RefOptions;

/**
 * Prune of many records (default 100 000, in chains of 4) while two readers use the mount the whole
 * time (issue 12): one opens, reads 4 KiB of and closes a file of a ref the service holds (the data
 * path), the other looks up a ref ID that does not exist (a lookup that takes the ref manager's lock).
 * Prints the time of {@code refcache du} and {@code refcache prune} and each reader's latency
 * percentiles before and during the prune, and how many operations took over 50 ms.
 *
 * <p>Run with {@code scripts/bench.sh prune [RECORDS]} (root: it mounts). The state lives under
 * {@code BENCH_TMPDIR} (default {@code /var/tmp}).
 */
public final class PruneBenchmark {
  private static final long STALL_NANOS = 50_000_000L;

  private PruneBenchmark() {}

  /** Latencies of one reader, in nanoseconds, with the time each was taken. */
  private static final class Samples {
    long[] at = new long[1 << 16];
    long[] took = new long[1 << 16];
    int n;

    synchronized void add(long start, long nanos) {
      if (n == at.length) {
        at = Arrays.copyOf(at, n * 2);
        took = Arrays.copyOf(took, n * 2);
      }
      at[n] = start;
      took[n] = nanos;
      n++;
    }

    synchronized String report(long from, long to) {
      long[] window = new long[n];
      int k = 0;
      for (int i = 0; i < n; i++) {
        if (at[i] >= from && at[i] < to) {
          window[k++] = took[i];
        }
      }
      long[] w = Arrays.copyOf(window, k);
      Arrays.sort(w);
      if (k == 0) {
        return "no samples";
      }
      long stalls = Arrays.stream(w).filter(t -> t > STALL_NANOS).count();
      return String.format(Locale.ROOT, "%7d ops  p50 %7.3f ms  p90 %7.3f  p99 %7.3f  p99.9 %7.3f  max %8.3f  >50ms: %d",
          k, ms(w, 0.50), ms(w, 0.90), ms(w, 0.99), ms(w, 0.999), w[k - 1] / 1e6, stalls);
    }

    private static double ms(long[] sorted, double q) {
      return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }
  }

  public static void main(String[] args) throws Exception {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    List<Long> ownPauses = ownPausesOver50Ms();
    Path dir = Files.createTempDirectory(Path.of(System.getenv().getOrDefault("BENCH_TMPDIR", "/var/tmp")),
        "refcache-bench-prune-");
    Path root = dir.resolve("root");
    DaemonConfig config = new DaemonConfig(root, dir.resolve("mnt"), dir.resolve("run/refcache.sock"));
    long t0 = System.nanoTime();
    try (CacheManager cm = CacheManager.open(CacheConfig.at(root))) {
      for (int i = 0; i < records; i += 4) {
        ImmutableRef parent = null;
        for (int d = 0; d < 4 && i + d < records; d++) {
          MutableRef m = cm.newRef(parent, RefOptions.retain());
          ImmutableRef c = m.commit();
          c.finalizeRef();
          if (parent != null) {
            parent.release();
          }
          parent = c;
        }
        parent.release();
      }
    }
    System.out.printf(Locale.ROOT, "made %d records in %.1f s%n", records, (System.nanoTime() - t0) / 1e9);
    // The service, du and prune each in a JVM of their own: a pause of theirs (a collection of the
    // JVM's heap) stalls the readers only through the mount, as it would any other reader.
    List<String> daemonOptions = new ArrayList<>();
    String optionsFile = System.getProperty("refcache.daemonJavaOptions");
    if (optionsFile != null) {
      daemonOptions.add("@" + optionsFile); // the service's JVM options, as scripts/refcache gives them
    }
    daemonOptions.addAll(List.of(System.getenv().getOrDefault("REFCACHE_JAVA_OPTS", "").trim().split("\\s+")));
    daemonOptions.removeIf(String::isEmpty);
    daemonOptions.add("-Xlog:gc:file=" + dir.resolve("daemon-gc.log"));
    // Every stop of the JVM's threads, the time to reach the safepoint included (any collector).
    daemonOptions.add("-Xlog:safepoint:file=" + dir.resolve("daemon-safepoint.log"));
    System.out.println("the daemon's JVM options: " + String.join(" ", daemonOptions));
    // The daemon logs as the service does (the jar's logback.xml, INFO), into daemon.log.
    Process daemon = java(dir.resolve("daemon.log"), daemonOptions, false, "daemon",
        "--root", root.toString(), "--mountpoint", config.mountpoint().toString(),
        "--socket", config.socket().toString());
    AtomicBoolean stop = new AtomicBoolean();
    try {
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (cli(config, "ls") == null) {
        if (!daemon.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the daemon did not start: " + Files.readString(dir.resolve("daemon.log")));
        }
        Thread.sleep(200);
      }
      String held = cli(config, "new").strip();
      Path file = config.mountpoint().resolve("refs").resolve(held).resolve("data");
      Files.write(file, new byte[1 << 20]);
      Samples data = new Samples();
      Samples lookups = new Samples();
      Thread reader = new Thread(() -> {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        while (!stop.get()) {
          long s = System.nanoTime();
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            buf.clear();
            ch.read(buf, ThreadLocalRandom.current().nextLong(256) * 4096);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          data.add(s, System.nanoTime() - s);
        }
      }, "bench-reader");
      Thread looker = new Thread(() -> {
        while (!stop.get()) {
          Path missing = config.mountpoint().resolve("refs").resolve("missing" + ThreadLocalRandom.current().nextLong(1L << 40));
          long s = System.nanoTime();
          try {
            Files.readAttributes(missing, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            throw new IllegalStateException(missing + " exists");
          } catch (NoSuchFileException expected) {
            // the answer
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          lookups.add(s, System.nanoTime() - s);
        }
      }, "bench-lookups");
      if (System.getenv("BENCH_HISTOGRAM") != null) { // what the heap holds (a full collection: only when asked)
        System.out.println(jcmd(daemon.pid(), "GC.class_histogram").lines().limit(30)
            .reduce("", (a, b) -> a + b + "\n"));
      }
      reader.start();
      looker.start();
      Thread.sleep(3000);
      long duStart = System.nanoTime();
      String du = run(dir.resolve("du.out"), config, "du");
      long duEnd = System.nanoTime();
      Thread.sleep(1000);
      long pruneStart = System.nanoTime();
      String pruned = run(dir.resolve("prune.out"), config, "prune");
      long pruneEnd = System.nanoTime();
      Thread.sleep(1000);
      stop.set(true);
      reader.join();
      looker.join();
      System.out.printf(Locale.ROOT, "du of %d records: %.2f s (%d lines)%n", records, (duEnd - duStart) / 1e9,
          du.lines().count());
      System.out.printf(Locale.ROOT, "prune of %d records: %.2f s%n%s", records, (pruneEnd - pruneStart) / 1e9,
          pruned.lines().filter(l -> l.startsWith("Removed") || l.startsWith("Freed")).reduce("", (a, b) -> a + b + "\n"));
      System.out.println("data reads (open, pread 4 KiB, close of a held ref's file):");
      System.out.println("  before:        " + data.report(0, duStart));
      System.out.println("  during du:     " + data.report(duStart, duEnd));
      System.out.println("  during prune:  " + data.report(pruneStart, pruneEnd));
      System.out.println("lookups of a missing ref (take the ref manager's lock):");
      System.out.println("  before:        " + lookups.report(0, duStart));
      System.out.println("  during du:     " + lookups.report(duStart, duEnd));
      System.out.println("  during prune:  " + lookups.report(pruneStart, pruneEnd));
      System.out.println("the daemon's JVM pauses over 50 ms: " + Files.readAllLines(dir.resolve("daemon-gc.log")).stream()
          .filter(l -> l.contains("Pause") && pauseMillis(l) > 50).map(l -> (long) pauseMillis(l) + " ms").toList());
      System.out.println("the daemon's stops over 50 ms (safepoints, reaching them included): "
          + Files.readAllLines(dir.resolve("daemon-safepoint.log")).stream()
          .map(PruneBenchmark::safepointMillis).filter(ms -> ms > 50).map(ms -> ms + " ms").toList());
      synchronized (ownPauses) {
        System.out.println("this JVM's (the readers') own collections over 50 ms: " + ownPauses);
      }
      System.out.println("the daemon's memory after prune: " + memory(daemon.pid()));
      if (daemonOptions.stream().anyMatch(o -> o.startsWith("-XX:NativeMemoryTracking"))) {
        System.out.println(jcmd(daemon.pid(), "VM.native_memory", "summary"));
      }
      String keep = System.getenv("BENCH_KEEP_LOGS");
      if (keep != null) {
        for (String name : List.of("daemon.log", "daemon-gc.log", "daemon-safepoint.log")) {
          Files.copy(dir.resolve(name), Path.of(keep).resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      System.out.println("load average at the end: " + Files.readString(Path.of("/proc/loadavg")).strip());
    } finally {
      stop.set(true);
      daemon.destroy();
      daemon.waitFor();
      org.refcache.testing.Mounts.detachAllUnder(dir);
      ServiceFixture.deleteTree(dir);
    }
  }

  /** The total of a {@code -Xlog:safepoint} line ("... Total: 1234 ns"), in milliseconds; 0 for other lines. */
  private static long safepointMillis(String line) {
    int at = line.indexOf("Total: ");
    if (at < 0) {
      return 0;
    }
    String rest = line.substring(at + 7).strip();
    return Long.parseLong(rest.substring(0, rest.indexOf(' '))) / 1_000_000;
  }

  /**
   * The durations of this JVM's collections over 50 ms, as they come: they stall the readers as much
   * as the daemon's do, and are not the daemon's doing.
   */
  private static List<Long> ownPausesOver50Ms() {
    List<Long> pauses = new ArrayList<>();
    for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      ((javax.management.NotificationEmitter) gc).addNotificationListener((n, handback) -> {
        var info = com.sun.management.GarbageCollectionNotificationInfo.from(
            (javax.management.openmbean.CompositeData) n.getUserData());
        if (!info.getGcName().contains("Cycles") && info.getGcInfo().getDuration() > 50) { // pauses, not cycles
          synchronized (pauses) {
            pauses.add(info.getGcInfo().getDuration());
          }
        }
      }, n -> n.getType().equals(com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION),
          null);
    }
    return pauses;
  }

  /** The output of {@code jcmd pid command...}. */
  private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid)));
    cmd.addAll(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  /** VmRSS and VmHWM of a process, from /proc. */
  private static String memory(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
        .filter(l -> l.startsWith("VmRSS") || l.startsWith("VmHWM")).map(l -> l.replaceAll("\\s+", " "))
        .reduce((a, b) -> a + ", " + b).orElse("?");
  }

  private static double pauseMillis(String gcLine) {
    String last = gcLine.substring(gcLine.lastIndexOf(' ') + 1);
    return last.endsWith("ms") ? Double.parseDouble(last.substring(0, last.length() - 2)) : 0;
  }

  /** {@code java ... org.refcache.cli.Main args} with this JVM's class path, output to {@code log}. */
  private static Process java(Path log, List<String> jvmOptions, boolean testLogging, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dfile.encoding=ISO-8859-1"));
    if (testLogging) {
      cmd.addAll(List.of("-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile"),
          "-Drefcache.testLogDir=" + log.getParent()));
    }
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.refcache.cli.Main"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("NOTIFY_SOCKET");
    return pb.start();
  }

  /** A client command in a JVM of its own; its output. */
  private static String run(Path out, DaemonConfig config, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--socket", config.socket().toString(), "--timeout", "0"));
    List<String> cmd = new ArrayList<>(List.of(args[0]));
    cmd.addAll(all);
    cmd.addAll(List.of(args).subList(1, args.length));
    Process p = java(out, List.of(), true, cmd.toArray(String[]::new));
    if (p.waitFor() != 0) {
      throw new IllegalStateException("refcache " + String.join(" ", args) + " exited " + p.exitValue() + ": "
          + Files.readString(out));
    }
    return Files.readString(out);
  }

  /** A small client command in this JVM; null when it failed. */
  private static String cli(DaemonConfig config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new Terminal(new PrintWriter(out), new PrintWriter(err),
        Map.of(DaemonConfig.SOCKET_ENV, config.socket().toString()), false, java.io.OutputStream.nullOutputStream()));
    return code == 0 ? out.toString() : null;
  }
}
