package org.refcache.core.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * In-process cost of the ref manager's metadata paths (issue 3): create + commit + release of a mutable
 * ref, and {@code get} + release among 100 000 records (counting as a use, which writes last-used
 * metadata on release, and not counting, as the FUSE view does). Run with {@code scripts/bench.sh refs}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dfile.encoding=ISO-8859-1", "--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens",
    "java.base/sun.nio.ch=ALL-UNNAMED"})
public class RefManagerBenchmark {

  /** A manager on a fresh temporary root. */
  @State(Scope.Benchmark)
  public static class Cache {
    Path root;
    CacheManager cm;

    @Setup(Level.Trial)
    public void open() throws IOException {
      root = Files.createTempDirectory("refcache-bench");
      cm = CacheManager.open(CacheConfig.at(root));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      cm.close();
      org.refcache.core.fs.FileTrees.deleteRecursively(root);
    }
  }

  /** A manager holding 100 000 committed records. */
  @State(Scope.Benchmark)
  public static class Populated {
    static final int RECORDS = 100_000;
    Path root;
    CacheManager cm;
    String[] ids;

    @Setup(Level.Trial)
    public void open() throws IOException {
      root = Files.createTempDirectory("refcache-bench");
      cm = CacheManager.open(CacheConfig.at(root));
      List<String> l = new ArrayList<>(RECORDS);
      for (int i = 0; i < RECORDS; i++) {
        MutableRef m = cm.newRef(null, RefOptions.retain());
        ImmutableRef c = m.commit();
        c.finalizeRef();
        l.add(c.id());
        c.release();
      }
      ids = l.toArray(String[]::new);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      cm.close();
      org.refcache.core.fs.FileTrees.deleteRecursively(root);
    }
  }

  @Benchmark
  public String createCommitRelease(Cache s) {
    MutableRef m = s.cm.newRef(null);
    ImmutableRef c = m.commit();
    String id = c.id();
    c.release();
    return id;
  }

  @Benchmark
  public String getAndReleaseAmong100k(Populated s) {
    String id = s.ids[ThreadLocalRandom.current().nextInt(s.ids.length)];
    ImmutableRef r = s.cm.get(id);
    r.release();
    return id;
  }

  /** The FUSE view's path: a handle that does not count as a use, so no LMDB write on release. */
  @Benchmark
  public String getNoUpdateAndReleaseAmong100k(Populated s) {
    String id = s.ids[ThreadLocalRandom.current().nextInt(s.ids.length)];
    ImmutableRef r = s.cm.get(id, RefOptions.noUpdateLastUsed());
    r.release();
    return id;
  }
}
