package org.refcache.core.meta;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.LmdbException;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one LMDB environment of a state root ({@code meta/}), shared by the metadata store, the content
 * store's blob info and later indexes.
 *
 * <p>Transactions are reached only through {@link #read} and {@link #write} callbacks, so a transaction
 * never leaves the thread that opened it and is always closed. Callbacks must not nest: LMDB allows one
 * transaction per thread at a time, and a nested write would deadlock on LMDB's writer mutex. A nested
 * {@code read}/{@code write} call on the same environment fails with {@link IllegalStateException}.
 *
 * <p>The map size grows by itself: a write that fails with {@code MDB_MAP_FULL} is aborted, the map is
 * doubled while no transaction is open in this process, and the callback runs again. Callbacks of
 * {@link #write} may therefore run more than once and must have no side effects outside the transaction;
 * effects on memory belong in the {@code afterCommit} action of {@link #write(Function, Consumer)}.
 *
 * <p>Durability: commits write straight into the memory map ({@code MDB_WRITEMAP}) without an fsync
 * each ({@code MDB_NOSYNC}, {@code MDB_MAPASYNC}); a background task flushes every {@code syncInterval}
 * after a change, {@link #sync()} flushes on demand, and {@link #close()} flushes last. A killed process
 * loses nothing committed (the map is shared with the page cache). A power cut or kernel crash loses
 * the transactions since the last flush and, as LMDB documents for these flags, can corrupt the
 * database, since the kernel writes the map's dirty pages back in any order (docs/DURABILITY.md). Ref
 * creation is metadata only and must be cheap, which a system call or an fsync per commit would forbid. The data file's blocks
 * are allocated for the whole map before it is used, so a full disk fails a map growth with an error
 * instead of killing the process with SIGBUS on a write into the map. An open whose map does not fit on
 * the disk fails with a message naming the directory, the free space and the map size, and leaves no
 * data file behind (a new environment's files are removed; an existing one gets its old size back).
 *
 * <p>Keys are 1 to {@value #MAX_KEY_SIZE} bytes (LMDB's compiled-in limit); longer keys are refused with
 * {@link IllegalArgumentException} before LMDB sees them.
 */
public final class LmdbEnvironment implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LmdbEnvironment.class);
  private static final long DEFAULT_INITIAL_MAP_SIZE = 64L << 20;
  /** Map sizes are kept a multiple of this (the largest page size LMDB runs with on Linux). */
  private static final long MAP_SIZE_GRANULE = 64L << 10;
  /** LMDB's compiled-in maximum key size. */
  public static final int MAX_KEY_SIZE = 511;

  private final Path dir;
  private final Env<ByteBuffer> env;
  private final Map<String, Db> dbs = new LinkedHashMap<>();
  /** Shared by every transaction; taken exclusively to resize the map (LMDB needs no open txn then). */
  private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
  /** LMDB allows one writer; queueing writers in Java keeps them from piling up inside native code. */
  private final ReentrantLock writerLock = new ReentrantLock();
  /** This thread's scratch state for this environment (nesting flag, direct buffers). */
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
  private final ScheduledExecutorService syncer;
  private volatile long mapSize;
  /** A write committed since the last background flush. */
  private volatile boolean dirty;
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

    @Override
    public String toString() {
      return "Db[" + name + "]";
    }
  }

  private LmdbEnvironment(Path dir, Collection<String> dbNames, long syncIntervalMillis, long initialMapSize)
      throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    Path data = dir.resolve("data.mdb");
    boolean created = !Files.exists(data);
    long existing = created ? 0 : Files.size(data);
    // With MDB_WRITEMAP the file is as large as the map: reopen at that size, growth is automatic.
    long size = roundUp(Math.max(Math.max(initialMapSize, MAP_SIZE_GRANULE), existing));
    try {
      this.env = Env.create()
          .setMapSize(size)
          .setMaxDbs(Math.max(8, dbNames.size() + 4))
          .setMaxReaders(1024)
          .open(dir.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC, EnvFlags.MDB_WRITEMAP,
              EnvFlags.MDB_MAPASYNC);
    } catch (LmdbException e) {
      undoOpen(created, dir, existing, e);
      throw new IOException("cannot open LMDB environment at " + dir + ": " + e.getMessage(), e);
    }
    try {
      for (String name : dbNames) {
        dbs.put(name, new Db(env.openDbi(name, DbiFlags.MDB_CREATE), name));
      }
      // LMDB may have raised the size to fit the existing file; report what it really uses.
      this.mapSize = env.info().mapSize;
      reserve(data, mapSize);
    } catch (LmdbException | IOException e) {
      env.close();
      undoOpen(created, dir, existing, e);
      if (ErrnoMapper.toErrno(e) == Errno.ENOSPC) {
        throw new IOException(noRoomMessage(dir, mapSize > 0 ? mapSize : size), e);
      }
      throw new IOException("cannot open LMDB databases " + dbNames + " at " + dir + ": " + e.getMessage(), e);
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
   * Undoes what an open that failed did to the disk (a disk too small for the preallocated map): a failed
   * start must not leave a full-size data file behind. The files of an environment this open created
   * are removed; an existing one keeps its data and gets its old size back (LMDB sets the file to the
   * map size when it opens with {@code MDB_WRITEMAP}; nothing was written past the old end).
   */
  private static void undoOpen(boolean created, Path dir, long oldSize, Exception cause) {
    try {
      if (created) {
        Files.deleteIfExists(dir.resolve("data.mdb"));
        Files.deleteIfExists(dir.resolve("lock.mdb"));
      } else {
        Path data = dir.resolve("data.mdb");
        if (Files.size(data) > oldSize) {
          try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
            ch.truncate(oldSize);
          }
        }
      }
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }

  private static String noRoomMessage(Path dir, long needed) {
    String free;
    try {
      free = (Posix.statvfs(dir).availableBytes() >> 20) + " MiB free";
    } catch (IOException e) {
      free = "too little room";
    }
    return "No space left on device for the metadata database in " + dir + ": its disk has " + free
        + ", and LMDB's map of " + (needed >> 20) + " MiB is allocated on disk up front (so that a full disk"
        + " cannot crash the service later); free space there or choose a state root on a larger disk";
  }

  private static long roundUp(long size) {
    return (size + MAP_SIZE_GRANULE - 1) / MAP_SIZE_GRANULE * MAP_SIZE_GRANULE;
  }

  /**
   * Opens (creating when absent) the environment in {@code dir} with the named databases.
   *
   * @param syncIntervalMillis how often committed transactions are flushed; 0 flushes after every write
   */
  public static LmdbEnvironment open(Path dir, Collection<String> dbNames, long syncIntervalMillis)
      throws IOException {
    return open(dir, dbNames, syncIntervalMillis, DEFAULT_INITIAL_MAP_SIZE);
  }

  /** Opens with a 50 ms flush interval. */
  public static LmdbEnvironment open(Path dir, Collection<String> dbNames) throws IOException {
    return open(dir, dbNames, 50);
  }

  /**
   * Opens with a chosen initial map size (rounded up to 64 KiB; raised to twice an existing data file).
   * Tests use a small map to exercise growth.
   */
  static LmdbEnvironment open(Path dir, Collection<String> dbNames, long syncIntervalMillis, long initialMapSize)
      throws IOException {
    return new LmdbEnvironment(dir, dbNames, syncIntervalMillis, initialMapSize);
  }

  /** The database opened under {@code name}. */
  public Db db(String name) {
    Db db = dbs.get(name);
    if (db == null) {
      throw new IllegalArgumentException("no LMDB database named " + name + " (opened: " + dbs.keySet() + ")");
    }
    return db;
  }

  /** Runs {@code fn} in a read transaction on this thread; it sees one consistent snapshot. */
  public <T> T read(Function<ReadTxn, T> fn) {
    Scratch inside = enterCallback();
    try {
      lockShared();
      try (Txn<ByteBuffer> txn = env.txnRead()) {
        return fn.apply(new ReadTxn(txn, inside));
      } finally {
        resizeLock.readLock().unlock();
      }
    } finally {
      inside.inCallback = false;
    }
  }

  /**
   * Runs {@code fn} in one write transaction and commits it; an exception from {@code fn} aborts it.
   * The callback may run again after the map has grown (see class doc).
   */
  public <T> T write(Function<WriteTxn, T> fn) {
    return write(fn, null);
  }

  /**
   * Like {@link #write(Function)}, then runs {@code afterCommit} with the callback's result once the
   * commit succeeded, before the next writer may start. Writers are serialised, so after-commit actions
   * run in commit order: the place to mirror a committed change in memory. {@code afterCommit} must be
   * quick, must not throw and must not use this environment.
   */
  public <T> T write(Function<WriteTxn, T> fn, Consumer<? super T> afterCommit) {
    Scratch inside = enterCallback();
    try {
      while (true) {
        long sizeSeen = mapSize;
        try {
          T result = writeOnce(fn, afterCommit, inside);
          if (syncer == null) {
            sync();
          }
          return result;
        } catch (RuntimeException e) {
          if (!isMapFull(e)) {
            throw e;
          }
          grow(sizeSeen);
        }
      }
    } finally {
      inside.inCallback = false;
    }
  }

  /** True when {@code e} or one of its causes is LMDB's map-full error (callbacks may wrap it). */
  private static boolean isMapFull(Throwable e) {
    Throwable t = e;
    for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
      if (t instanceof Env.MapFullException) {
        return true;
      }
    }
    return false;
  }

  private <T> T writeOnce(Function<WriteTxn, T> fn, Consumer<? super T> afterCommit, Scratch scratch) {
    writerLock.lock();
    try {
      lockShared();
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        T result = fn.apply(new WriteTxn(txn, scratch));
        txn.commit();
        dirty = true;
        if (afterCommit != null) {
          afterCommit.accept(result);
        }
        return result;
      } finally {
        resizeLock.readLock().unlock();
      }
    } finally {
      writerLock.unlock();
    }
  }

  private void grow(long sizeSeen) {
    resizeLock.writeLock().lock();
    try {
      ensureOpen();
      if (mapSize == sizeSeen) {
        long next = sizeSeen * 2;
        try {
          reserve(dir.resolve("data.mdb"), next);
        } catch (IOException e) {
          throw new MetadataException("cannot grow the LMDB map at " + dir + " to " + (next >> 20)
              + " MiB: " + e.getMessage(), e);
        }
        env.setMapSize(next);
        mapSize = next;
        LOG.info("LMDB map at {} grown to {} MiB", Printable.name(dir), next >> 20);
      }
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  /**
   * Allocates the data file's blocks up to {@code size}. Commits write straight into the map
   * ({@code MDB_WRITEMAP}: no system call per commit); a write to a page without a block on a full
   * disk would kill the JVM with SIGBUS, so every page of the map has its block before it is used.
   */
  private static void reserve(Path data, long size) throws IOException {
    Descriptors.fallocate(data, 0, size);
  }

  /** Marks this thread as inside a callback; the caller clears {@code inCallback} when it ends. */
  private Scratch enterCallback() {
    Scratch s = scratch.get();
    if (s.inCallback) {
      throw new IllegalStateException("LMDB transactions do not nest: read/write called from inside a "
          + "read/write callback of the same environment (" + dir + ")");
    }
    s.inCallback = true;
    return s;
  }

  /**
   * Per-thread direct buffers handed to LMDB for keys and small values, so that no direct buffer is
   * allocated per operation. A transaction is confined to its thread and callbacks do not nest, so one
   * set per thread is enough.
   */
  static final class Scratch {
    /** The largest value {@link WriteTxn#putIfAbsent} copies through the scratch buffer. */
    static final int MAX_SCRATCH_VALUE = 64 << 10;
    final ByteBuffer key = ByteBuffer.allocateDirect(MAX_KEY_SIZE);
    ByteBuffer value = ByteBuffer.allocateDirect(64);
    boolean inCallback;

    ByteBuffer key(byte[] k) {
      checkKey(k);
      key.clear();
      key.put(k).flip();
      return key;
    }

    ByteBuffer value(byte[] v) {
      if (value.capacity() < v.length) {
        value = ByteBuffer.allocateDirect(Math.max(v.length, value.capacity() * 2));
      }
      value.clear();
      value.put(v).flip();
      return value;
    }
  }

  /** Takes the shared lock and checks, under it, that the environment is still open. */
  private void lockShared() {
    resizeLock.readLock().lock();
    if (closed) {
      resizeLock.readLock().unlock();
      throw closedException();
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

  /**
   * LMDB's ID of the last committed write transaction ({@code mdb_env_info}): each commit that changed
   * something adds one, so two readings tell how many writes happened in between (what one logical
   * change costs; DESIGN: one logical change is one write transaction).
   */
  public long lastTransactionId() {
    lockShared();
    try {
      return env.info().lastTransactionId;
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  /** Flushes every committed transaction to disk. */
  public void sync() {
    lockShared();
    try {
      env.sync(true);
    } finally {
      resizeLock.readLock().unlock();
    }
  }

  private void syncQuietly() {
    try {
      // An idle cache must not msync its whole map every interval.
      if (!closed && dirty) {
        dirty = false;
        sync();
      }
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.warn("LMDB sync of {} failed: {}", Printable.name(dir), Printable.line(e.toString()));
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw closedException();
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException("LMDB environment at " + dir + " is closed");
  }

  /** Whether {@link #close()} has run. */
  public boolean isClosed() {
    return closed;
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
      closed = true;
      try {
        env.sync(true);
      } finally {
        env.close();
      }
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  /**
   * Read access inside a transaction; byte arrays in and out so no LMDB memory escapes. Valid only
   * inside the callback that received it.
   */
  public static class ReadTxn {
    final Txn<ByteBuffer> txn;
    final Scratch scratch;

    ReadTxn(Txn<ByteBuffer> txn, Scratch scratch) {
      this.txn = txn;
      this.scratch = scratch;
    }

    /** The value under {@code key}, or null. */
    public byte[] get(Db db, byte[] key) {
      ByteBuffer v = db.dbi.get(txn, key(key));
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
      try (Cursor<ByteBuffer> cursor = db.dbi.openCursor(txn)) {
        boolean found = from.length == 0 ? cursor.first() : cursor.get(key(from), GetOp.MDB_SET_RANGE);
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

    /** Copies {@code key} into this thread's scratch buffer; valid until the next call. */
    final ByteBuffer key(byte[] key) {
      return scratch.key(key);
    }

    static boolean startsWith(byte[] k, byte[] prefix) {
      return k.length >= prefix.length && java.util.Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length);
    }
  }

  /** Read and write access inside a write transaction. Valid only inside the callback that received it. */
  public static final class WriteTxn extends ReadTxn {
    WriteTxn(Txn<ByteBuffer> txn, Scratch scratch) {
      super(txn, scratch);
    }

    /** Stores {@code value} under {@code key}, replacing any value. */
    public void put(Db db, byte[] key, byte[] value) {
      Objects.requireNonNull(value, "value");
      // MDB_RESERVE hands out the value's place in the map: one copy, no direct buffer per value.
      ByteBuffer dst = db.dbi.reserve(txn, key(key), value.length);
      dst.put(0, value);
    }

    /** Stores {@code value} under {@code key} unless the key exists; returns whether it stored. */
    public boolean putIfAbsent(Db db, byte[] key, byte[] value) {
      Objects.requireNonNull(value, "value");
      if (value.length > Scratch.MAX_SCRATCH_VALUE) {
        throw new IllegalArgumentException("putIfAbsent takes values up to " + Scratch.MAX_SCRATCH_VALUE + " bytes");
      }
      return db.dbi.put(txn, key(key), scratch.value(value), PutFlags.MDB_NOOVERWRITE);
    }

    /** Deletes {@code key}; returns whether it existed. */
    public boolean delete(Db db, byte[] key) {
      return db.dbi.delete(txn, key(key));
    }

    /** Deletes every key starting with {@code prefix}; returns how many. */
    public int deletePrefix(Db db, byte[] prefix) {
      int deleted = 0;
      try (Cursor<ByteBuffer> cursor = db.dbi.openCursor(txn)) {
        boolean found = prefix.length == 0 ? cursor.first() : cursor.get(key(prefix), GetOp.MDB_SET_RANGE);
        while (found && startsWith(bytes(cursor.key()), prefix)) {
          cursor.delete();
          deleted++;
          // Seek again rather than rely on the cursor's position after a delete.
          found = prefix.length == 0 ? cursor.first() : cursor.get(key(prefix), GetOp.MDB_SET_RANGE);
        }
      }
      return deleted;
    }
  }

  /** Receives one key/value pair of a scan; returns false to stop. */
  @FunctionalInterface
  public interface EntryVisitor {
    /** Visits one entry (copies, safe to keep); returns false to stop the scan. */
    boolean visit(byte[] key, byte[] value);
  }

  static void checkKey(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length == 0 || key.length > MAX_KEY_SIZE) {
      throw new IllegalArgumentException("LMDB key must be 1.." + MAX_KEY_SIZE + " bytes, got " + key.length);
    }
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(b.position(), out);
    return out;
  }
}
