package org.refcache.core.meta;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.meta.LmdbEnvironment.Db;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;

class LmdbEnvironmentTest {
  private static final List<String> DBS = List.of("a", "b");

  @TempDir
  Path dir;

  private final List<LmdbEnvironment> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(LmdbEnvironment::close);
  }

  private LmdbEnvironment open() throws Exception {
    LmdbEnvironment env = LmdbEnvironment.open(dir, DBS);
    opened.add(env);
    return env;
  }

  private static byte[] value(LmdbEnvironment env, Db db, byte[] key) {
    return env.read(txn -> txn.get(db, key));
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void valuesSurviveCloseAndReopen() throws Exception {
    LmdbEnvironment env = open();
    env.write(txn -> {
      txn.put(env.db("a"), b("k1"), b("v1"));
      txn.put(env.db("b"), b("k1"), b("other database"));
      return null;
    });
    env.close();

    LmdbEnvironment again = open();
    assertThat(value(again, again.db("a"), b("k1"))).isEqualTo(b("v1"));
    assertThat(value(again, again.db("b"), b("k1"))).isEqualTo(b("other database"));
    assertThat(value(again, again.db("a"), b("missing"))).isNull();
    assertThat(again.diskBytes()).isPositive();
  }

  /** Commits write into the map; every page of it has its disk block before use (no SIGBUS on a full disk). */
  @Test
  void dataFileBlocksCoverTheWholeMapAlsoAfterGrowth() throws Exception {
    try (LmdbEnvironment env = LmdbEnvironment.open(dir, DBS, 0, 256 << 10)) {
      org.refcache.posix.Stat st = org.refcache.posix.Posix.lstat(dir.resolve("data.mdb"));
      assertThat(st.blocks() * 512).isGreaterThanOrEqualTo(env.mapSize());
      long before = env.mapSize();
      LmdbEnvironment.Db db = env.db(DBS.get(0));
      for (int i = 0; i < 200; i++) {
        int n = i;
        env.write(txn -> {
          txn.put(db, ("k" + n).getBytes(), new byte[4096]);
          return null;
        });
      }
      assertThat(env.mapSize()).isGreaterThan(before);
      st = org.refcache.posix.Posix.lstat(dir.resolve("data.mdb"));
      assertThat(st.blocks() * 512).isGreaterThanOrEqualTo(env.mapSize());
    }
  }

  @Test
  void mapGrowsByItselfWhenWritesExceedIt() throws Exception {
    LmdbEnvironment env = LmdbEnvironment.open(dir, DBS, 0, 256 << 10);
    opened.add(env);
    long initial = env.mapSize();
    assertThat(initial).isEqualTo(256 << 10);
    Db a = env.db("a");
    byte[] value = new byte[1024];
    // Many small transactions, then one transaction larger than the initial map on its own.
    for (int i = 0; i < 2000; i++) {
      int n = i;
      Arrays.fill(value, (byte) n);
      env.write(txn -> {
        txn.put(a, b(String.format("small-%05d", n)), value);
        return null;
      });
    }
    AtomicInteger attempts = new AtomicInteger();
    env.write(txn -> {
      attempts.incrementAndGet();
      for (int i = 0; i < 1000; i++) {
        txn.put(a, b(String.format("big-%05d", i)), new byte[4096]);
      }
      return null;
    });

    assertThat(env.mapSize()).isGreaterThanOrEqualTo(8 * initial);
    assertThat(attempts.get()).as("the big transaction was retried after growing").isGreaterThan(1);
    env.read(txn -> {
      for (int i = 0; i < 2000; i++) {
        byte[] got = txn.get(a, b(String.format("small-%05d", i)));
        assertThat(got).hasSize(1024);
        assertThat(got[0]).isEqualTo((byte) i);
        assertThat(got[1023]).isEqualTo((byte) i);
      }
      for (int i = 0; i < 1000; i++) {
        assertThat(txn.get(a, b(String.format("big-%05d", i)))).hasSize(4096);
      }
      return null;
    });

    long grown = env.mapSize();
    env.close();
    LmdbEnvironment again = LmdbEnvironment.open(dir, DBS, 0, 256 << 10);
    opened.add(again);
    assertThat(again.mapSize()).as("reopened map fits the data")
        .isGreaterThanOrEqualTo(java.nio.file.Files.size(dir.resolve("data.mdb")));
    assertThat(value(again, again.db("a"), b("big-00999"))).hasSize(4096);
    assertThat(grown).isGreaterThan(initial);
  }

  @Test
  void lastTransactionIdCountsCommittedWritesOnly() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    long start = env.lastTransactionId();

    env.write(txn -> {
      txn.put(a, b("k1"), b("v1"));
      txn.put(a, b("k2"), b("v2"));
      return null;
    });
    env.write(txn -> txn.delete(a, b("k1")));
    value(env, a, b("k2"));
    assertThatThrownBy(() -> env.write(txn -> {
      txn.put(a, b("k3"), b("v3"));
      throw new IllegalStateException("abort");
    })).isInstanceOf(IllegalStateException.class);

    assertThat(env.lastTransactionId() - start).as("two commits; the read and the abort count none")
        .isEqualTo(2);
  }

  @Test
  void exceptionInWriteCallbackAbortsTheTransaction() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    env.write(txn -> {
      txn.put(a, b("kept"), b("1"));
      return null;
    });

    assertThatThrownBy(() -> env.write(txn -> {
      txn.put(a, b("new"), b("x"));
      txn.put(a, b("kept"), b("changed"));
      txn.delete(a, b("kept"));
      throw new IllegalStateException("boom");
    })).isInstanceOf(IllegalStateException.class).hasMessage("boom");

    assertThat(value(env, a, b("new"))).isNull();
    assertThat(value(env, a, b("kept"))).isEqualTo(b("1"));
  }

  @Test
  void afterCommitRunsOnlyWhenTheTransactionCommitted() throws Exception {
    LmdbEnvironment env = open();
    List<String> seen = new ArrayList<>();
    env.write(txn -> "ok", seen::add);
    assertThatThrownBy(() -> env.write(txn -> {
      throw new IllegalArgumentException("no");
    }, r -> seen.add("must not run")));
    assertThat(seen).containsExactly("ok");
  }

  @Test
  void concurrentReadersAndWritersFrom8ThreadsSeeWholeTransactions() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    Db bDb = env.db("b");
    int perWriter = 300;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perWriter; i++) {
          if (thread % 2 == 0) {
            // A writer puts a pair in two databases in one transaction.
            String key = "w" + thread + "-" + i;
            env.write(txn -> {
              txn.put(a, b(key), b(key));
              txn.put(bDb, b(key), b(key));
              return null;
            });
          } else {
            // A reader checks that every pair it sees in "a" is complete in "b".
            env.read(txn -> {
              txn.scan(a, b("w"), (k, v) -> {
                if (txn.get(bDb, k) == null) {
                  torn.add(new String(k, UTF_8));
                }
                return true;
              });
              return null;
            });
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(torn).isEmpty();
    int count = env.read(txn -> {
      int[] n = {0};
      txn.scan(a, b("w"), (k, v) -> {
        n[0]++;
        return true;
      });
      return n[0];
    });
    assertThat(count).isEqualTo(4 * perWriter);
  }

  @Test
  void keysOver511BytesAreRefusedWithAClearMessage() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    byte[] longest = new byte[511];
    Arrays.fill(longest, (byte) 'k');
    env.write(txn -> {
      txn.put(a, longest, b("fits"));
      return null;
    });
    assertThat(value(env, a, longest)).isEqualTo(b("fits"));

    byte[] tooLong = new byte[512];
    Arrays.fill(tooLong, (byte) 'k');
    assertThatThrownBy(() -> env.write(txn -> {
      txn.put(a, tooLong, b("x"));
      return null;
    })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("511").hasMessageContaining("512");
    assertThatThrownBy(() -> env.read(txn -> txn.get(a, new byte[0])))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void closedEnvironmentRefusesUse() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    env.close();
    env.close();

    assertThat(env.isClosed()).isTrue();
    assertThatThrownBy(() -> env.read(txn -> txn.get(a, b("k"))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> env.write(txn -> null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(env::sync).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void nestedCallbacksFailInsteadOfDeadlocking() throws Exception {
    LmdbEnvironment env = open();
    assertThatThrownBy(() -> env.write(txn -> env.write(inner -> null)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
    assertThatThrownBy(() -> env.read(txn -> env.read(inner -> null)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("do not nest");
    // The environment is usable afterwards.
    env.write(txn -> {
      txn.put(env.db("a"), b("after"), b("1"));
      return null;
    });
    assertThat(value(env, env.db("a"), b("after"))).isEqualTo(b("1"));
  }

  @Test
  void scanVisitsOnlyThePrefixInKeyOrderAndDeletePrefixRemovesOnlyIt() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    env.write(txn -> {
      for (String k : List.of("p/3", "p/1", "q/1", "p/2", "o/9", "p")) {
        txn.put(a, b(k), b(k));
      }
      return null;
    });
    List<String> seen = new ArrayList<>();
    env.read(txn -> {
      txn.scan(a, b("p/"), (k, v) -> seen.add(new String(k, UTF_8)));
      return null;
    });
    assertThat(seen).containsExactly("p/1", "p/2", "p/3");

    List<String> from = new ArrayList<>();
    env.read(txn -> {
      txn.scanFrom(a, b("p/"), b("p/2"), (k, v) -> from.add(new String(k, UTF_8)));
      return null;
    });
    assertThat(from).containsExactly("p/2", "p/3");

    int deleted = env.write(txn -> txn.deletePrefix(a, b("p/")));
    assertThat(deleted).isEqualTo(3);
    List<String> rest = new ArrayList<>();
    env.read(txn -> {
      txn.scan(a, new byte[0], (k, v) -> rest.add(new String(k, UTF_8)));
      return null;
    });
    assertThat(rest).containsExactly("o/9", "p", "q/1");
  }

  @Test
  void emptyValuesAndPutIfAbsentBehave() throws Exception {
    LmdbEnvironment env = open();
    Db a = env.db("a");
    boolean[] stored = new boolean[2];
    env.write(txn -> {
      txn.put(a, b("empty"), new byte[0]);
      stored[0] = txn.putIfAbsent(a, b("once"), b("first"));
      stored[1] = txn.putIfAbsent(a, b("once"), b("second"));
      return null;
    });
    assertThat(value(env, a, b("empty"))).isEmpty();
    assertThat(stored).containsExactly(true, false);
    assertThat(value(env, a, b("once"))).isEqualTo(b("first"));
  }

  @Test
  void unknownDatabaseNameIsRefused() throws Exception {
    LmdbEnvironment env = open();
    assertThatThrownBy(() -> env.db("nope")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope").hasMessageContaining("[a, b]");
  }

  /**
   * A new environment whose preallocated map does not fit on its disk (a 16 MiB tmpfs against the 64 MiB
   * default) fails with a clear error and leaves no data file; an existing environment is never removed.
   */
  @Test
  void aNewEnvironmentOnADiskTooSmallForItsMapFailsAndLeavesNoFiles() throws Exception {
    Path small = dir.resolve("small");
    Files.createDirectories(small);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "refcache-test-small",
        small.toString()).inheritIO().start();
    assertThat(mount.waitFor()).as("mounting a tmpfs").isZero();
    try {
      Path meta = small.resolve("meta");

      assertThatThrownBy(() -> LmdbEnvironment.open(meta, DBS))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("No space left on device")
          .hasMessageContaining(meta.toString())
          .hasMessageContaining("64 MiB");

      assertThat(meta.resolve("data.mdb")).doesNotExist();
      assertThat(meta.resolve("lock.mdb")).doesNotExist();

      // One that fits opens, and a later open that cannot grow it leaves its data alone.
      try (LmdbEnvironment env = LmdbEnvironment.open(meta, DBS, 0, 8 << 20)) {
        env.write(txn -> {
          txn.put(env.db("a"), b("k"), b("kept"));
          return null;
        });
      }
      assertThatThrownBy(() -> LmdbEnvironment.open(meta, DBS, 0, 32 << 20))
          .hasMessageContaining("No space left on device");
      try (LmdbEnvironment env = LmdbEnvironment.open(meta, DBS, 0, 8 << 20)) {
        assertThat(value(env, env.db("a"), b("k"))).isEqualTo(b("kept"));
      }
    } finally {
      Mounting.umount(small, Mounting.MNT_DETACH);
    }
  }
}
