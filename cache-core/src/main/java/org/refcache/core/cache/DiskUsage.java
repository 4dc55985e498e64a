package org.refcache.core.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.refcache.core.fs.FileTrees;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Disk usage (spec 4.2), honest: one {@link UsageInfo} per record (a committed pair once), with
 * sizes from allocated blocks in which a blob or layer that several records use counts once (each
 * gets an equal part and is marked shared), then, without a filter, one row for each kind of the
 * service's own files, so that the rows add up to what the state root takes on disk:
 *
 * <ul>
 *   <li>{@code service:metadata}: the LMDB environment ({@code meta/});</li>
 *   <li>{@code service:ingest}: blobs being written ({@code content/ingest/});</li>
 *   <li>{@code service:scratch}: {@code tmp/}, unpacks in progress, the state files and the
 *       directories of the layout themselves;</li>
 *   <li>{@code service:open-files}: data of pruned records still read through weak handles;</li>
 *   <li>{@code service:unreferenced}: blobs, layers and uppers no record uses (the collector frees
 *       them).</li>
 * </ul>
 *
 * Rows are given to a consumer as they are made, in ID order; the answer is never held whole.
 * What is held is the snapshot: a few references per record.
 */
final class DiskUsage {
  static final String METADATA = UsageInfo.SERVICE_PREFIX + "metadata";
  static final String INGEST = UsageInfo.SERVICE_PREFIX + "ingest";
  static final String SCRATCH = UsageInfo.SERVICE_PREFIX + "scratch";
  static final String OPEN_FILES = UsageInfo.SERVICE_PREFIX + "open-files";
  static final String UNREFERENCED = UsageInfo.SERVICE_PREFIX + "unreferenced";

  private final CacheManager cm;
  private final RecordStore records;
  private final StateLayout layout;
  private final ObjectSizes sizes;

  DiskUsage(CacheManager cm, RecordStore records, StateLayout layout, ObjectSizes sizes) {
    this.cm = cm;
    this.records = records;
    this.layout = layout;
    this.sizes = sizes;
  }

  /** A measured snapshot of the records (what prune works from too). */
  UsageSnapshot snapshot() {
    UsageSnapshot snap = UsageSnapshot.take(records, layout, cm.contentStore()::blobPath);
    snap.measure(sizes);
    return snap;
  }

  /** Gives every row {@code filter} lets through to {@code sink}; returns their summary. */
  UsageTotals run(UsageFilter filter, Consumer<UsageInfo> sink) {
    UsageSnapshot snap = snapshot();
    Tally tally = new Tally(sink);
    for (UsageSnapshot.Row r : snap.rows) {
      UsageInfo info = UsageSnapshot.info(cm, r);
      boolean matched = filter.matches(info);
      for (UsageSnapshot.ObjectState o : r.objects) {
        if (!matched || r.inUse) {
          o.blockers++;
        }
      }
      if (matched) {
        tally.add(info);
      }
    }
    long reclaimable = 0;
    for (UsageSnapshot.ObjectState o : snap.objects.values()) {
      if (o.users > 0 && o.blockers == 0 && !o.orphanUse && o.bytes > 0) {
        reclaimable += o.bytes;
      }
    }
    if (filter.isAll()) {
      try {
        reclaimable += serviceRows(snap, tally);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot measure the state root " + layout.root() + ": " + e.getMessage(), e);
      }
    }
    return new UsageTotals(tally.rows, tally.shared, tally.total - tally.shared, reclaimable, tally.total);
  }

  /** The rows of the service's own files; returns the bytes the collector would free. */
  private long serviceRows(UsageSnapshot snap, Tally tally) throws IOException {
    Path root = layout.root();
    long dev = Posix.lstat(root).dev();
    tally.add(service(METADATA, "LMDB metadata (meta/)", bytes(layout.meta(), dev), true));
    Path ingest = layout.content().resolve("ingest");
    tally.add(service(INGEST, "blobs being written (content/ingest/)", bytes(ingest, dev), true));

    long scratch = scratchBytes(dev);
    tally.add(service(SCRATCH, "scratch, unpacks in progress, state files and directories", scratch, true));

    long open = 0;
    for (UsageSnapshot.ObjectState o : snap.objects.values()) {
      if (o.users == 0 && o.orphanUse && o.bytes > 0) {
        open += o.bytes;
      }
    }
    tally.add(service(OPEN_FILES, "data of pruned refs still open through the mount", open, true));

    long unreferenced = 0;
    for (DataObject o : StoredObjects.list(layout)) {
      if (!snap.objects.containsKey(o.path())) {
        unreferenced += bytes(o.path(), dev);
      }
    }
    tally.add(service(UNREFERENCED, "data no ref uses (the next collection frees it)", unreferenced, false));
    return unreferenced;
  }

  /**
   * What the service's own files take: metadata, ingests, scratch (what prune counts besides the
   * records: it is part of what the cache takes).
   */
  long ownFilesBytes() {
    try {
      long dev = Posix.lstat(layout.root()).dev();
      return bytes(layout.meta(), dev) + bytes(layout.content().resolve("ingest"), dev) + scratchBytes(dev);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure the state root " + layout.root() + ": " + e.getMessage(), e);
    }
  }

  /** {@code tmp/}, unpacks in progress, the state files and the layout's directories themselves. */
  private long scratchBytes(long dev) throws IOException {
    Path root = layout.root();
    long scratch = bytes(layout.tmp(), dev);
    Path blobs = StoredObjects.blobsDir(layout);
    for (Path dir : List.of(root, layout.content(), blobs, layout.layers(), layout.uppers())) {
      scratch += ownBytes(dir, dev);
    }
    for (String alg : StoredObjects.names(blobs)) {
      scratch += ownBytes(blobs.resolve(alg), dev);
    }
    for (Path dir : List.of(layout.layers(), layout.uppers())) {
      for (String hidden : StoredObjects.hidden(dir)) {
        scratch += bytes(dir.resolve(hidden), dev);
      }
    }
    Set<String> known = Set.of(root.relativize(layout.meta()).toString(), root.relativize(layout.content()).toString(),
        root.relativize(layout.layers()).toString(), root.relativize(layout.uppers()).toString(),
        root.relativize(layout.tmp()).toString());
    for (String name : Posix.list(root)) {
      if (!known.contains(name)) {
        scratch += bytes(root.resolve(name), dev); // service.json, the lock, an unmounted mountpoint
      }
    }
    return scratch;
  }

  private static UsageInfo service(String id, String description, long size, boolean inUse) {
    return new UsageInfo(id, false, inUse, size, null, null, 0, List.of(), description, RecordTypes.INTERNAL, false);
  }

  /** The tree at {@code p} when it is on the root's filesystem (a mount below it is not ours). */
  private static long bytes(Path p, long dev) throws IOException {
    try {
      if (Posix.lstat(p).dev() != dev) {
        return 0;
      }
    } catch (NoSuchFileException e) {
      return 0;
    }
    return FileTrees.usage(p).bytes();
  }

  /** The blocks of the directory {@code dir} itself, not of what is in it. */
  private static long ownBytes(Path dir, long dev) throws IOException {
    try {
      Stat st = Posix.lstat(dir);
      return st.dev() == dev ? st.blocks() * 512 : 0;
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  /** Gives rows to the sink and adds them up. */
  private static final class Tally {
    private final Consumer<UsageInfo> sink;
    long rows;
    long shared;
    long total;

    Tally(Consumer<UsageInfo> sink) {
      this.sink = sink;
    }

    void add(UsageInfo info) {
      sink.accept(info);
      rows++;
      total += info.size();
      if (info.shared()) {
        shared += info.size();
      }
    }
  }
}
