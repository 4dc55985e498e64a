package org.refcache.core.meta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one LMDB environment of a state root ({@code meta/}), shared by the metadata store, the content
 * store's blob info and later indexes.
 *
 * <p>Transactions are reached only through {@link #read} and {@link #write} callbacks, so a transaction
 * never leaves the thread that opened it and is always closed. Callbacks must not nest (LMDB allows one
 * transaction per thread at a time; a nested call would deadlock or fail).
 *
 * <p>The map size grows by itself: a write that fails with {@code MDB_MAP_FULL} is aborted, the map is
 * doubled while no transaction is open in this process, and the callback runs again. Callbacks of
 * {@link #write} may therefore run more than once and must have no side effects outside the transaction.
 *
 * <p>Durability: commits are made without an fsync each ({@code MDB_NOSYNC}, which keeps the database
 * consistent but may lose the newest transactions on power loss); a background task flushes every
 * {@code syncInterval}, {@link #sync()} flushes on demand, and {@link #close()} flushes last. Ref
 * creation is metadata only and must be cheap, which a per-commit fsync would forbid.
 */
public final class LmdbEnvironment implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LmdbEnvironment.class);
  private static final long INITIAL_MAP_SIZE = 64L << 20;
  /** LMDB's compiled-in maximum key size. */
  public static final int MAX_KEY_SIZE = 511;

  private final Path dir;
  private final Env<ByteBuffer> env;
  private final Map<String, Db> dbs = new LinkedHashMap<>();
  /** Shared by every transaction; taken exclusively to resize the map (LMDB needs no open txn then). */
  private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
  /** LMDB allows one writer; queueing writers in Java keeps them from piling up inside native code. */
  private final ReentrantLock writerLock = new ReentrantLock();
  private final ScheduledExecutorService syncer;
  private volatile long mapSize;
  private volatile boolean closed;

  /** A named database inside the environment. */
  public static final class Db {
    final Dbi<ByteBuffer> dbi;
    final String name;

    private Db(Dbi<ByteBuffer> dbi, String name) {
      this.dbi = dbi;
      this.name = name;
    }

    /** The database's name. */
    public String name() {
      return name;
    }
  }

  private LmdbEnvironment(Path dir, Collection<String> dbNames, long syncIntervalMillis) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    long existing = Files.exists(dir.resolve("data.mdb")) ? Files.size(dir.resolve("data.mdb")) : 0;
    long size = INITIAL_MAP_SIZE;
    while (size < existing * 2) {
      size *= 2;
    }
    this.mapSize = size;
    try {
      this.env = Env.create()
          .setMapSize(size)
          .setMaxDbs(Math.max(8, dbNames.size() + 4))
          .setMaxReaders(1024)
          .open(dir.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC);
    } catch (LmdbException e) {
      throw new IOException("cannot open LMDB environment at " + dir + ": " + e.getMessage(), e);
    }
    for (String name : dbNames) {
      dbs.put(name, new Db(env.openDbi(name, DbiFlags.MDB_CREATE), name));
    }
    if (syncIntervalMillis > 0) {
      syncer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lmdb-sync");
        t.setDaemon(true);
        return t;
      });
      syncer.scheduleWithFixedDelay(this::syncQuietly, syncIntervalMillis, syncIntervalMillis,
          TimeUnit.MILLISECONDS);
    } else {
      syncer = null;
    }
  }

  /**
   * Opens (creating when absent) the environment in {@code dir} with the named databases.
   *
   * @param syncIntervalMillis how often committed transactions are flushed; 0 flushes after every write
   */
  public static LmdbEnvironment open(Path dir, Collection<String> dbNames, long syncIntervalMillis)
      throws IOException {
    return new LmdbEnvironment(dir, dbNames, syncIntervalMillis);
  }

  /** Opens with a 50 ms flush interval. */
  public static LmdbEnvironment open(Path dir, Collection<String> dbNames) throws IOException {
    return open(dir, dbNames, 50);
  }

  /** The database opened under {@code name}. */
  public Db db(String name) {
    Db db = dbs.get(name);
    if (db == null) {
      throw new IllegalArgumentException("no LMDB database named " + name + " (opened: " + dbs.keySet() + ")");
    }
    return db;
  }

  /** Runs {@code fn} in a read transaction on this thread. */
  public <T> T read(Function<ReadTxn, T> fn) {
    ensureOpen();
    resizeLock.readLock().lock();
    try (Txn<ByteBuffer> txn = env.txnRead()) {
      return fn.apply(new ReadTxn(txn));
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  /**
   * Runs {@code fn} in one write transaction and commits it; an exception from {@code fn} aborts it.
   * The callback may run again after the map has grown (see class doc).
   */
  public <T> T write(Function<WriteTxn, T> fn) {
    ensureOpen();
    while (true) {
      long sizeSeen = mapSize;
      try {
        T result = writeOnce(fn);
        if (syncer == null) {
          sync();
        }
        return result;
      } catch (Env.MapFullException e) {
        grow(sizeSeen);
      } catch (LmdbException e) {
        if (isMapFull(e)) {
          grow(sizeSeen);
        } else {
          throw e;
        }
      }
    }
  }

  private static boolean isMapFull(LmdbException e) {
    return e.getMessage() != null && e.getMessage().contains("MDB_MAP_FULL");
  }

  private <T> T writeOnce(Function<WriteTxn, T> fn) {
    writerLock.lock();
    resizeLock.readLock().lock();
    try (Txn<ByteBuffer> txn = env.txnWrite()) {
      T result = fn.apply(new WriteTxn(txn));
      txn.commit();
      return result;
    } finally {
      resizeLock.readLock().unlock();
      writerLock.unlock();
    }
  }

  private void grow(long sizeSeen) {
    resizeLock.writeLock().lock();
    try {
      if (mapSize == sizeSeen) {
        long next = sizeSeen * 2;
        env.setMapSize(next);
        mapSize = next;
        LOG.info("LMDB map at {} grown to {} MiB", dir, next >> 20);
      }
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  /** The current map size in bytes (grows by itself). */
  public long mapSize() {
    return mapSize;
  }

  /** Bytes the environment occupies on disk (the data and lock files). */
  public long diskBytes() {
    long total = 0;
    for (String f : new String[] {"data.mdb", "lock.mdb"}) {
      try {
        total += Files.size(dir.resolve(f));
      } catch (IOException e) {
        // A missing lock file is not an error for accounting.
      }
    }
    return total;
  }

  /** Flushes every committed transaction to disk. */
  public void sync() {
    ensureOpen();
    resizeLock.readLock().lock();
    try {
      env.sync(true);
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  private void syncQuietly() {
    try {
      if (!closed) {
        sync();
      }
    } catch (RuntimeException e) {
      LOG.warn("LMDB sync failed: {}", e.toString());
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("LMDB environment at " + dir + " is closed");
    }
  }

  /** Flushes and closes; waits for running transactions to end. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (syncer != null) {
      syncer.shutdownNow();
    }
    resizeLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      env.sync(true);
      closed = true;
      env.close();
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  /** Read access inside a transaction; byte arrays in and out so no LMDB memory escapes. */
  public static class ReadTxn {
    final Txn<ByteBuffer> txn;

    ReadTxn(Txn<ByteBuffer> txn) {
      this.txn = txn;
    }

    /** The value under {@code key}, or null. */
    public byte[] get(Db db, byte[] key) {
      ByteBuffer v = db.dbi.get(txn, keyBuffer(key));
      return v == null ? null : bytes(v);
    }

    /**
     * Visits keys starting with {@code prefix} in key order until the visitor returns false.
     */
    public void scan(Db db, byte[] prefix, EntryVisitor visitor) {
      scanFrom(db, prefix, prefix, visitor);
    }

    /** Visits keys {@code >= from} that start with {@code prefix}, in key order. */
    public void scanFrom(Db db, byte[] prefix, byte[] from, EntryVisitor visitor) {
      try (var cursor = db.dbi.openCursor(txn)) {
        boolean found = from.length == 0 ? cursor.first() : cursor.get(keyBuffer(from), org.lmdbjava.GetOp.MDB_SET_RANGE);
        while (found) {
          byte[] k = bytes(cursor.key());
          if (!startsWith(k, prefix)) {
            return;
          }
          if (!visitor.visit(k, bytes(cursor.val()))) {
            return;
          }
          found = cursor.next();
        }
      }
    }

    private static boolean startsWith(byte[] k, byte[] prefix) {
      if (k.length < prefix.length) {
        return false;
      }
      for (int i = 0; i < prefix.length; i++) {
        if (k[i] != prefix[i]) {
          return false;
        }
      }
      return true;
    }
  }

  /** Read and write access inside a write transaction. */
  public static final class WriteTxn extends ReadTxn {
    WriteTxn(Txn<ByteBuffer> txn) {
      super(txn);
    }

    /** Stores {@code value} under {@code key}, replacing any value. */
    public void put(Db db, byte[] key, byte[] value) {
      ByteBuffer v = ByteBuffer.allocateDirect(Math.max(1, value.length));
      v.put(value).flip();
      db.dbi.put(txn, keyBuffer(key), v);
    }

    /** Deletes {@code key}; returns whether it existed. */
    public boolean delete(Db db, byte[] key) {
      return db.dbi.delete(txn, keyBuffer(key));
    }

    /** Deletes every key starting with {@code prefix}; returns how many. */
    public int deletePrefix(Db db, byte[] prefix) {
      java.util.List<byte[]> keys = new java.util.ArrayList<>();
      scan(db, prefix, (k, v) -> keys.add(k));
      for (byte[] k : keys) {
        delete(db, k);
      }
      return keys.size();
    }
  }

  /** Receives one key/value pair of a scan; returns false to stop. */
  @FunctionalInterface
  public interface EntryVisitor {
    boolean visit(byte[] key, byte[] value);
  }

  static ByteBuffer keyBuffer(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length == 0 || key.length > MAX_KEY_SIZE) {
      throw new IllegalArgumentException("LMDB key must be 1.." + MAX_KEY_SIZE + " bytes, got " + key.length);
    }
    ByteBuffer b = ByteBuffer.allocateDirect(key.length);
    b.put(key).flip();
    return b;
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /** Wraps an I/O failure of the environment's directory. */
  static UncheckedIOException unchecked(IOException e) {
    return new UncheckedIOException(e);
  }
}
