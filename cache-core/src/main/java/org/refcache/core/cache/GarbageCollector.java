package org.refcache.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.InvalidDigestException;
import org.refcache.core.fs.FileTrees;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mark-and-sweep garbage collector of data (DESIGN "Storage layout": deletion is two-phase):
 * removes the blobs, unpacked layers and uppers that no root reaches, and measures what that freed.
 *
 * <p>Roots: every record in memory (both records of a committed pair), and every record prune
 * removed while weak handles still read it (an open file through the view), and the compression
 * variants linked to their blobs ({@link BlobVariants}), followed link by link. A blob labelled
 * {@value #ROOT_LABEL} is a root too. Everything else under {@code content/blobs}, {@code layers/}
 * and {@code uppers/} is garbage, except what is recent: stored (or stored again) within the grace
 * period, unless prune has just released it (or it was a pruned record's whose last reader has
 * gone since), or since the oldest open {@link WorkLease} began (work in progress, such as an import
 * between storing its blob and recording it).
 *
 * <p>How, without stopping anyone for long: the objects on disk are listed first (anything stored
 * later is no candidate), then the roots are taken from one pass over the records under the
 * manager lock. Garbage is moved into {@code tmp/gc-*} in batches, each under the manager lock
 * after checking that no record was added since the roots were taken (else they are taken again):
 * a record made meanwhile can only name an object the batch has not moved, and a lease taken
 * meanwhile starts after the batch. The uppers a prune has just released are moved without the
 * lock (no record made later can name one: uppers are named after record IDs). The moved trees
 * are deleted outside any lock, each file statted before it is unlinked. A crash leaves them in {@code tmp/}, which every start empties.
 *
 * <p>It runs after every prune, one at a time with prune. A prune writes {@value #PENDING} in the
 * state root before its first tombstone and the collection after it removes the file; a start that
 * finds it (a prune was cut short) collects at once, with no grace (nothing is in progress then),
 * deleting on a background thread that the next collection waits for.
 */
final class GarbageCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);
  /** How long an unreferenced object is spared after it was stored (work in progress without a lease). */
  static final Duration DEFAULT_GRACE = Duration.ofMinutes(10);
  /** A blob with this label is a root (containerd's convention), for content no record names. */
  static final String ROOT_LABEL = "containerd.io/gc.root";
  static final String PENDING = "gc.pending";
  /** Objects moved in one hold of the manager lock (renames: each can wait for the journal). */
  private static final int BATCH = 32;

  private final RecordStore records;
  private final StateLayout layout;
  private final ContentStore content;
  private final ObjectSizes sizes;
  private final Leases leases;
  private final ReentrantLock maintenance;
  /** Flushes the metadata: the removals that made data garbage must be durable before it goes. */
  private final Runnable flushMetadata;
  private volatile Future<?> deleting;
  private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "refcache-gc");
    t.setDaemon(true);
    return t;
  });

  GarbageCollector(RecordStore records, StateLayout layout, ContentStore content, ObjectSizes sizes, Leases leases,
      ReentrantLock maintenance, Runnable flushMetadata) {
    this.flushMetadata = flushMetadata;
    this.records = records;
    this.layout = layout;
    this.content = content;
    this.sizes = sizes;
    this.leases = leases;
    this.maintenance = maintenance;
  }

  /** The roots at one moment, and the manager's count of added records then. */
  private record Roots(Set<Path> paths, long additions) {}

  /** What one sweep moved out of the way. */
  private record Moved(Path trash, int blobs, int layers, int uppers, int kept) {}

  /**
   * Collects now.
   *
   * @param released objects prune has just made unreferenced: no grace for them
   * @param grace how long other unreferenced objects are spared after they were stored
   */
  GcResult collect(Set<Path> released, Duration grace) {
    maintenance.lock();
    try {
      awaitBackgroundDeletion(); // a start's collection: what this one measures comes after it
      flushMetadata.run(); // a power cut must not bring back a record whose data is gone
      Moved m = sweep(released, grace);
      long freed = deleteTrash(m.trash());
      clearPending();
      GcResult r = new GcResult(m.blobs(), m.layers(), m.uppers(), freed, m.kept());
      LOG.info("garbage collection: removed {} blobs, {} layers, {} uppers, freed {} bytes; kept {} recent", r.blobs(),
          r.layers(), r.uppers(), r.freedBytes(), r.kept());
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException("garbage collection under " + layout.root() + " failed: " + e.getMessage(), e);
    } finally {
      maintenance.unlock();
    }
  }

  /** Notes that a prune is about to remove records (see the class doc); before its first tombstone. */
  void markPending() {
    Path marker = layout.root().resolve(PENDING);
    if (Files.exists(marker)) {
      return;
    }
    try {
      Files.createFile(marker);
      try (FileChannel dir = FileChannel.open(layout.root(), StandardOpenOption.READ)) {
        dir.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + marker + ": " + e.getMessage(), e);
    }
  }

  private void clearPending() throws IOException {
    Files.deleteIfExists(layout.root().resolve(PENDING));
  }

  /**
   * At open, once the records are loaded and before anyone else can act: when a prune was cut
   * short, moves everything no record uses out of the way now and deletes it in the background.
   */
  void collectIfPruneWasCutShort() throws IOException {
    if (!Files.exists(layout.root().resolve(PENDING))) {
      return;
    }
    Moved m;
    maintenance.lock();
    try {
      flushMetadata.run(); // the purges of tombstoned records, before their data goes
      m = sweep(null, Duration.ZERO);
      clearPending();
    } finally {
      maintenance.unlock();
    }
    LOG.info("a prune was cut short: collecting {} blobs, {} layers, {} uppers no record uses", m.blobs(),
        m.layers(), m.uppers());
    deleting = background.submit(() -> {
      try {
        long freed = deleteTrash(m.trash());
        LOG.info("freed {} bytes left by the prune that was cut short", freed);
      } catch (IOException e) {
        LOG.warn("cannot delete {} (the next start does): {}", m.trash(), e.toString());
      }
    });
  }

  /** Waits for the background deletion of {@link #collectIfPruneWasCutShort}, if any. */
  private void awaitBackgroundDeletion() {
    Future<?> f = deleting;
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("background garbage deletion failed: {}", e.getCause().toString());
    }
  }

  /** Moves the garbage into a new {@code tmp/gc-*} directory. Caller holds the maintenance lock. */
  private Moved sweep(Set<Path> releasedByPrune, Duration grace) throws IOException {
    List<DataObject> remaining = StoredObjects.list(layout); // before the roots: see the class doc
    Set<Path> released = releasedByPrune == null ? null : new HashSet<>(releasedByPrune);
    List<CacheRecord> doneOrphans;
    records.mu.lock();
    try {
      doneOrphans = records.drainReleasedOrphansLocked();
    } finally {
      records.mu.unlock();
    }
    if (released != null) {
      // The data of a pruned record whose last reader has gone since is as released as prune's.
      for (CacheRecord o : doneOrphans) {
        DataObject.of(o, layout, content::blobPath, d -> released.add(d.path()));
      }
    }
    Path trash = layout.tmp().resolve("gc-" + System.nanoTime());
    Files.createDirectories(trash);
    Roots roots = roots();
    remaining = garbage(remaining, roots);
    int blobs = 0;
    int layers = 0;
    int uppers = 0;
    int kept = 0;
    List<Digest> movedBlobs = new ArrayList<>();
    if (released != null) {
      // The uppers prune has just released go without the lock: an upper is named after its
      // record's ID, which no record made later can have, so nothing can start using one again.
      List<DataObject> lockFree = new ArrayList<>();
      List<DataObject> rest = new ArrayList<>();
      for (DataObject o : remaining) {
        (o.kind() == DataObject.Kind.UPPER && released.contains(o.path()) ? lockFree : rest).add(o);
      }
      remaining = rest;
      Instant leased;
      records.mu.lock();
      try {
        leased = leases.oldestLocked();
      } finally {
        records.mu.unlock();
      }
      for (DataObject o : lockFree) {
        switch (move(o, leased, trash, movedBlobs)) {
          case MOVED -> uppers++;
          case RECENT -> kept++;
          case GONE -> { }
        }
      }
    }
    int i = 0;
    while (i < remaining.size()) {
      List<DataObject> batch = remaining.subList(i, Math.min(i + BATCH, remaining.size()));
      boolean stale;
      records.mu.lock();
      try {
        stale = records.additionsLocked() != roots.additions();
        if (!stale) {
          Instant leased = leases.oldestLocked();
          Instant recent = Instant.now().minus(grace);
          for (DataObject o : batch) {
            boolean fresh = released == null || released.contains(o.path());
            Instant keepFrom = fresh || recent.isAfter(leased) ? leased : recent;
            switch (move(o, keepFrom, trash, movedBlobs)) {
              case MOVED -> {
                switch (o.kind()) {
                  case BLOB -> blobs++;
                  case LAYER -> layers++;
                  case UPPER -> uppers++;
                }
              }
              case RECENT -> kept++;
              case GONE -> { }
            }
          }
        }
      } finally {
        records.mu.unlock();
      }
      if (stale) {
        // Records were added since the roots were taken: take them again for what is left.
        roots = roots();
        remaining = garbage(new ArrayList<>(remaining.subList(i, remaining.size())), roots);
        i = 0;
        continue;
      }
      i += batch.size();
    }
    content.forgetMissing(movedBlobs);
    return new Moved(trash, blobs, layers, uppers, kept);
  }

  private Roots roots() throws IOException {
    List<CacheRecord> all = new ArrayList<>();
    long additions;
    records.mu.lock();
    try {
      records.ensureOpen();
      all.addAll(records.orphansLocked());
      additions = records.additionsLocked();
    } finally {
      records.mu.unlock();
    }
    // Listed after the count was read, without the lock: a record added later changes the count
    // (and the roots are taken again); one there before is listed.
    all.addAll(records.listedWithoutLock());
    Set<Path> paths = new HashSet<>();
    List<Digest> blobs = new ArrayList<>();
    for (CacheRecord rec : all) {
      DataObject.of(rec, layout, content::blobPath, o -> paths.add(o.path()));
      if (rec.blob() != null) {
        blobs.add(rec.blob());
      }
    }
    // Compression variants live as long as a blob linked to them does (spec 6.7, BlobVariants).
    BlobVariants.reachable(content, blobs, d -> paths.add(content.blobPath(d)));
    return new Roots(paths, additions);
  }

  /** The objects of {@code stored} no root reaches. */
  private List<DataObject> garbage(List<DataObject> stored, Roots roots) throws IOException {
    List<DataObject> out = new ArrayList<>();
    for (DataObject o : stored) {
      if (roots.paths().contains(o.path())) {
        continue;
      }
      if (o.kind() == DataObject.Kind.BLOB) {
        Digest d = blobDigest(o.path());
        if (d == null) {
          continue; // not a blob's name: not the content store's, not ours to remove
        }
        Optional<ContentInfo> info = content.info(d);
        if (info.isPresent() && info.get().labels().containsKey(ROOT_LABEL)) {
          continue;
        }
      }
      out.add(o);
    }
    return out;
  }

  private enum Outcome { MOVED, RECENT, GONE }

  /**
   * Moves one object to {@code trash} unless it changed at or after {@code keepFrom}; caller holds mu,
   * but for an upper prune released (see {@link #sweep}).
   */
  private Outcome move(DataObject o, Instant keepFrom, Path trash, List<Digest> movedBlobs) throws IOException {
    String name = o.path().getFileName().toString();
    if (o.kind() == DataObject.Kind.BLOB) {
      Digest d = blobDigest(o.path());
      if (!Files.exists(o.path())) {
        return Outcome.GONE;
      }
      if (!content.moveOut(d, keepFrom, trash.resolve("blob-" + d.algorithm() + "-" + d.hex()))) {
        return Files.exists(o.path()) ? Outcome.RECENT : Outcome.GONE;
      }
      movedBlobs.add(d);
      return Outcome.MOVED;
    }
    Stat st;
    try {
      st = Posix.lstat(o.path());
    } catch (NoSuchFileException e) {
      return Outcome.GONE;
    }
    Instant changed = st.ctime().isAfter(st.mtime()) ? st.ctime() : st.mtime();
    if (!changed.isBefore(keepFrom)) {
      return Outcome.RECENT;
    }
    try {
      Posix.renameat2(o.path(), trash.resolve(o.kind().name().toLowerCase() + "-" + name), Posix.RENAME_NOREPLACE);
    } catch (NoSuchFileException e) {
      return Outcome.GONE;
    }
    sizes.forget(o.path());
    return Outcome.MOVED;
  }

  /** Deletes what was moved into {@code trash}, then {@code trash} (its own blocks are not garbage freed). */
  private static long deleteTrash(Path trash) throws IOException {
    long freed = 0;
    for (String name : Posix.list(trash)) {
      freed += FileTrees.deleteCounting(trash.resolve(name));
    }
    Posix.delete(trash);
    return freed;
  }

  private static Digest blobDigest(Path blob) {
    try {
      return new Digest(blob.getParent().getFileName().toString(), blob.getFileName().toString());
    } catch (InvalidDigestException e) {
      return null;
    }
  }

  /** Waits for a background deletion to finish (bounded). */
  @Override
  public void close() {
    background.shutdown();
    try {
      if (!background.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.warn("garbage deletion still running at close; the next start finishes it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
