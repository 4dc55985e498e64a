package org.refcache.core.content;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.InvalidDigestException;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.posix.Printable;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local content store: blobs as read-only files under {@code <root>/content/blobs/<alg>/<hex>},
 * writes in progress under {@code content/ingest/}, blob info in the LMDB database {@value #DATABASE}.
 * See the package documentation for the layout, the commit sequence and what is the truth.
 *
 * <p>Thread-safe. One instance per content root per process: {@link #open} removes everything left in
 * {@code ingest/}, including the files of writers another instance still has open.
 */
public final class ContentStore implements ContentProvider, ContentIngester, ContentManager {
  /** The LMDB database holding blob info; the environment must be opened with it. */
  public static final String DATABASE = "content";

  private static final Logger LOG = LoggerFactory.getLogger(ContentStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY_PREFIX = "blob/";
  private static final List<String> ALGORITHMS = List.of(Digest.SHA256, Digest.SHA512);
  private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
  private static final int COPY_BUFFER = 64 * 1024;
  private static final int STRIPES = 64;
  private static final int MAX_REF_NAME = 64;

  private final Path root;
  private final Path blobsDir;
  private final Path ingestDir;
  private final LmdbEnvironment env;
  private final LmdbEnvironment.Db db;
  private final Clock clock;
  private final Set<String> openRefs = ConcurrentHashMap.newKeySet();
  /** Serialises commit, relabel and delete of one digest, so a delete never races a rename. */
  private final ReentrantLock[] digestLocks = new ReentrantLock[STRIPES];

  /** Blob info as stored in LMDB (JSON); times as ISO-8601 strings. */
  record StoredInfo(long size, String createdAt, String updatedAt, Map<String, String> labels) {}

  private ContentStore(Path root, LmdbEnvironment env, LmdbEnvironment.Db db, Clock clock) {
    this.root = root;
    this.blobsDir = root.resolve("blobs");
    this.ingestDir = root.resolve("ingest");
    this.env = env;
    this.db = db;
    this.clock = clock;
    for (int i = 0; i < STRIPES; i++) {
      digestLocks[i] = new ReentrantLock();
    }
  }

  /**
   * Opens the store at {@code contentRoot} ({@code <root>/content}), creating its directories, removing
   * leftovers of dead writers from {@code ingest/} and dropping LMDB entries whose blob file is gone.
   *
   * @param env an environment opened with the database {@value #DATABASE}
   */
  public static ContentStore open(Path contentRoot, LmdbEnvironment env) throws IOException {
    return open(contentRoot, env, Clock.systemUTC());
  }

  /** As {@link #open(Path, LmdbEnvironment)}, with the clock that stamps created/updated times. */
  public static ContentStore open(Path contentRoot, LmdbEnvironment env, Clock clock) throws IOException {
    Objects.requireNonNull(contentRoot, "contentRoot");
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(clock, "clock");
    LmdbEnvironment.Db db;
    try {
      db = env.db(DATABASE);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the content store needs the LMDB database \"" + DATABASE
          + "\" in its environment: " + e.getMessage(), e);
    }
    ContentStore store = new ContentStore(contentRoot, env, db, clock);
    store.prepare();
    return store;
  }

  private void prepare() throws IOException {
    boolean fresh = !Files.isDirectory(blobsDir);
    for (String alg : ALGORITHMS) {
      Files.createDirectories(blobsDir.resolve(alg));
    }
    Files.createDirectories(ingestDir);
    if (fresh) {
      fsyncDirectory(blobsDir);
      fsyncDirectory(root);
    }
    int leftovers = removeIngestLeftovers();
    if (leftovers > 0) {
      LOG.info("removed {} abandoned ingest(s) under {}", leftovers, Printable.name(ingestDir));
    }
    int stale = dropStaleEntries();
    if (stale > 0) {
      LOG.info("dropped {} content info entries without a blob file under {}", stale,
          Printable.name(blobsDir));
    }
  }

  private int removeIngestLeftovers() throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(ingestDir)) {
      ds.forEach(entries::add);
    }
    for (Path p : entries) {
      FileTrees.deleteRecursively(p);
    }
    return entries.size();
  }

  private int dropStaleEntries() {
    byte[] prefix = KEY_PREFIX.getBytes(StandardCharsets.UTF_8);
    List<byte[]> keys = env.read(txn -> {
      List<byte[]> all = new ArrayList<>();
      txn.scan(db, prefix, (k, v) -> all.add(k));
      return all;
    });
    List<byte[]> stale = new ArrayList<>();
    for (byte[] key : keys) {
      String name = new String(key, StandardCharsets.UTF_8).substring(KEY_PREFIX.length());
      Digest d;
      try {
        d = Digest.parse(name);
      } catch (InvalidDigestException e) {
        LOG.warn("dropping content info under a malformed key: {}", Printable.line(e.getMessage()));
        stale.add(key);
        continue;
      }
      if (!Files.exists(blobPath(d))) {
        stale.add(key);
      }
    }
    if (!stale.isEmpty()) {
      env.write(txn -> {
        stale.forEach(k -> txn.delete(db, k));
        return null;
      });
    }
    return stale.size();
  }

  /** Where the blob {@code d} lives (whether or not it exists): {@code blobs/<alg>/<hex>}. */
  public Path blobPath(Digest d) {
    return blobsDir.resolve(d.algorithm()).resolve(d.hex());
  }

  // ---- provider --------------------------------------------------------------------------------

  @Override
  public InputStream open(Digest d) throws IOException {
    try {
      return Files.newInputStream(blobPath(d));
    } catch (NoSuchFileException e) {
      throw new ContentNotFoundException(d);
    }
  }

  @Override
  public BlobReader reader(Digest d) throws IOException {
    try {
      return new FileBlobReader(FileChannel.open(blobPath(d), StandardOpenOption.READ));
    } catch (NoSuchFileException e) {
      throw new ContentNotFoundException(d);
    }
  }

  @Override
  public Optional<ContentInfo> info(Digest d) throws IOException {
    Objects.requireNonNull(d, "digest");
    byte[] raw = env.read(txn -> txn.get(db, key(d)));
    BasicFileAttributes attrs = blobAttributes(d);
    if (attrs == null) {
      return Optional.empty();
    }
    return Optional.of(toInfo(d, attrs, raw == null ? null : decode(raw)));
  }

  // ---- ingester --------------------------------------------------------------------------------

  @Override
  public ContentWriter writer(String ref, long expectedSize, Digest expected) throws IOException {
    Objects.requireNonNull(ref, "ref");
    if (ref.isEmpty()) {
      throw new IllegalArgumentException("ingest ref must not be empty");
    }
    if (expectedSize < -1) {
      throw new IllegalArgumentException("expected size must be -1 (unknown) or >= 0, got " + expectedSize);
    }
    if (!openRefs.add(ref)) {
      throw new IngestLockedException(ref);
    }
    Path dir = ingestDir.resolve(ingestDirName(ref));
    try {
      FileTrees.deleteRecursively(dir);
      Files.createDirectory(dir);
      Files.writeString(dir.resolve("ref"), ref, StandardCharsets.UTF_8);
      FileChannel channel = FileChannel.open(dir.resolve("data"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      Digester digester = Digester.of(expected == null ? Digest.SHA256 : expected.algorithm());
      return new IngestWriter(this, ref, dir, channel, digester, expectedSize, expected);
    } catch (IOException | RuntimeException e) {
      try {
        FileTrees.deleteRecursively(dir);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      openRefs.remove(ref);
      if (e instanceof IOException io) {
        throw IngestWriter.naming(dir, io);
      }
      throw e;
    }
  }

  /**
   * Writes {@code in} to a new blob and commits it: {@link #writer}, copy, {@link ContentWriter#commit}.
   * Does not close {@code in}.
   */
  public Digest ingest(String ref, InputStream in, long expectedSize, Digest expected,
      Map<String, String> labels) throws IOException {
    try (ContentWriter w = writer(ref, expectedSize, expected)) {
      OutputStream out = w.stream();
      byte[] buf = new byte[COPY_BUFFER];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
      return w.commit(labels);
    }
  }

  // ---- manager ---------------------------------------------------------------------------------

  @Override
  public ContentInfo updateLabels(Digest d, Map<String, String> labels) throws IOException {
    Objects.requireNonNull(d, "digest");
    requireValidLabels(labels);
    ReentrantLock lock = lockFor(d);
    lock.lock();
    try {
      BasicFileAttributes attrs = blobAttributes(d);
      if (attrs == null) {
        throw new ContentNotFoundException(d);
      }
      return record(d, attrs, labels);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void walk(Consumer<ContentInfo> visitor) throws IOException {
    Objects.requireNonNull(visitor, "visitor");
    for (String alg : ALGORITHMS) {
      Path dir = blobsDir.resolve(alg);
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        ds.forEach(p -> names.add(p.getFileName().toString()));
      } catch (NoSuchFileException e) {
        continue;
      }
      names.sort(null);
      for (String name : names) {
        Digest d;
        try {
          d = new Digest(alg, name);
        } catch (InvalidDigestException e) {
          LOG.debug("ignoring a file that is not a blob: {}", Printable.name(dir.resolve(name)));
          continue;
        }
        Optional<ContentInfo> info = info(d);
        if (info.isPresent()) {
          visitor.accept(info.get());
        }
      }
    }
  }

  @Override
  public boolean delete(Digest d) throws IOException {
    Objects.requireNonNull(d, "digest");
    ReentrantLock lock = lockFor(d);
    lock.lock();
    try {
      Path blob = blobPath(d);
      boolean existed = Files.deleteIfExists(blob);
      env.write(txn -> txn.delete(db, key(d)));
      if (existed) {
        fsyncDirectory(blob.getParent());
        LOG.debug("deleted blob {}", d);
      }
      return existed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * For the garbage collector: moves the file of blob {@code d} to {@code trash} (a path on the same
   * filesystem, which the caller deletes) unless it was stored, or stored again, at or after
   * {@code storedBefore} (its change time says when), under the digest's lock so that no commit of
   * the same digest interleaves. Its info stays until {@link #forgetMissing}.
   *
   * @return whether it was moved (false: absent or too recent)
   */
  public boolean moveOut(Digest d, Instant storedBefore, Path trash) throws IOException {
    Objects.requireNonNull(d, "digest");
    ReentrantLock lock = lockFor(d);
    lock.lock();
    try {
      Path blob = blobPath(d);
      Stat st;
      try {
        st = Posix.lstat(blob);
      } catch (NoSuchFileException e) {
        return false;
      }
      Instant changed = st.ctime().isAfter(st.mtime()) ? st.ctime() : st.mtime();
      if (!changed.isBefore(storedBefore)) {
        return false;
      }
      Files.move(blob, trash, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Drops, in one LMDB write, the info of the blobs of {@code digests} whose files are gone. */
  public void forgetMissing(Collection<Digest> digests) {
    List<byte[]> gone = new ArrayList<>();
    for (Digest d : digests) {
      if (!Files.exists(blobPath(d))) {
        gone.add(key(d));
      }
    }
    if (!gone.isEmpty()) {
      env.write(txn -> {
        gone.forEach(k -> txn.delete(db, k));
        return null;
      });
    }
  }

  /** Bytes of the regular files under the content root (blobs and ingests in progress). */
  public long diskBytes() throws IOException {
    long[] total = {0};
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (attrs.isRegularFile()) {
          total[0] += attrs.size();
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // deleted while walking
        }
        throw e;
      }
    });
    return total[0];
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * Moves a verified ingest file into place (unless the blob exists) and records its info.
   * The file is made read-only before the rename so a blob is never visible writable.
   */
  Digest publish(String ref, Digest d, Path data, Map<String, String> labels) throws IOException {
    ReentrantLock lock = lockFor(d);
    lock.lock();
    try {
      Path target = blobPath(d);
      if (Files.exists(target)) {
        LOG.debug("ingest {}: blob {} already exists, keeping it", ref, d);
        // Stored again now: the collector spares blobs stored after a lease of work in progress began
        // (it goes by the file's change time), and an old unreferenced blob stored again is such a one.
        Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
      } else {
        Files.createDirectories(target.getParent());
        Files.setPosixFilePermissions(data, READ_ONLY);
        Files.move(data, target, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(target.getParent());
        LOG.debug("ingest {}: committed blob {}", ref, d);
      }
      BasicFileAttributes attrs = blobAttributes(d);
      if (attrs == null) {
        throw new NoSuchFileException(target.toString(), null, "blob vanished right after commit");
      }
      record(d, attrs, labels);
      return d;
    } finally {
      lock.unlock();
    }
  }

  /** Merges {@code labels} into the stored info of an existing blob (one write txn); caller holds the lock. */
  private ContentInfo record(Digest d, BasicFileAttributes attrs, Map<String, String> labels) {
    Instant now = clock.instant();
    byte[] key = key(d);
    return env.write(txn -> {
      byte[] raw = txn.get(db, key);
      StoredInfo old = raw == null ? null : decode(raw);
      TreeMap<String, String> merged = new TreeMap<>(old == null ? Map.of() : old.labels());
      if (labels != null) {
        labels.forEach((k, v) -> {
          if (v == null) {
            merged.remove(k);
          } else {
            merged.put(k, v);
          }
        });
      }
      String created = old == null ? now.toString() : old.createdAt();
      StoredInfo next = new StoredInfo(attrs.size(), created, now.toString(), merged);
      txn.put(db, key, encode(next));
      return toInfo(d, attrs, next);
    });
  }

  private static ContentInfo toInfo(Digest d, BasicFileAttributes attrs, StoredInfo stored) {
    if (stored == null) {
      Instant mtime = attrs.lastModifiedTime().toInstant();
      return new ContentInfo(d, attrs.size(), mtime, mtime, Map.of());
    }
    return new ContentInfo(d, attrs.size(), Instant.parse(stored.createdAt()),
        Instant.parse(stored.updatedAt()), stored.labels() == null ? Map.of() : stored.labels());
  }

  /** The blob file's attributes, or null when it does not exist. */
  private BasicFileAttributes blobAttributes(Digest d) throws IOException {
    try {
      return Files.readAttributes(blobPath(d), BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Frees {@code ref} for a new writer: its writer has committed or was closed. */
  void ingestEnded(String ref) {
    openRefs.remove(ref);
  }

  private ReentrantLock lockFor(Digest d) {
    return digestLocks[Math.floorMod(d.hashCode(), STRIPES)];
  }

  private static byte[] key(Digest d) {
    return (KEY_PREFIX + d).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] encode(StoredInfo info) {
    try {
      return JSON.writeValueAsBytes(info);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static StoredInfo decode(byte[] raw) {
    try {
      return JSON.readValue(raw, StoredInfo.class);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable content info: " + new String(raw, StandardCharsets.UTF_8), e);
    }
  }

  static void requireValidLabels(Map<String, String> labels) {
    if (labels == null) {
      return;
    }
    for (String k : labels.keySet()) {
      if (k == null || k.isEmpty()) {
        throw new IllegalArgumentException("label keys must be non-empty, got " + labels.keySet());
      }
    }
  }

  /**
   * A directory name for {@code ref}: its safe characters (readable in {@code ls}), then a hash of the
   * whole ref so different refs never share a directory.
   */
  static String ingestDirName(String ref) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ref.length() && sb.length() < MAX_REF_NAME; i++) {
      char c = ref.charAt(i);
      boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      sb.append(safe ? c : '_');
    }
    return sb + "-" + Digest.sha256(ref).hex().substring(0, 16);
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** Positional reads over an open blob file. */
  private static final class FileBlobReader implements BlobReader {
    private final FileChannel channel;

    FileBlobReader(FileChannel channel) {
      this.channel = channel;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return channel.read(dst, position);
    }

    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
