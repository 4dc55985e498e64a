package org.refcache.core.cache;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.layer.LayerBlob;
import org.refcache.core.layer.LayerLimits;
import org.refcache.core.layer.LayerStore;
import org.refcache.core.layer.TarLister;

/**
 * What records hold and show, without changing them: the bytes a record occupies (spec 4.2), the
 * names in its layer blob (spec 2.17), the rows of {@code ls} and {@code info}, and whether its tree
 * would need an unpack first. Disk usage ({@code du}) and prune's accounting build on these.
 *
 * <p>Sizing and listing read files and blobs outside the manager lock; a file list is computed once
 * per record however many callers wait, and kept as the record's external value {@value #FILE_LIST}.
 */
final class RecordUsage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<String>> NAMES = new TypeReference<>() {};
  private static final String FILE_LIST = "filelist";

  private final CacheManager cm;
  private final RecordStore records;
  private final Materializer materializer;
  private final LazyBlobs blobs;
  private final UnpackFailures unpackFailures;
  private final ContentStore content;
  private final LayerStore layers;
  private final LayerLimits limits;
  private final SingleFlight<String> fileLists = new SingleFlight<>();

  RecordUsage(CacheManager cm, RecordStore records, Materializer materializer, LazyBlobs blobs,
      UnpackFailures unpackFailures, ContentStore content, LayerStore layers, LayerLimits limits) {
    this.cm = cm;
    this.records = records;
    this.materializer = materializer;
    this.blobs = blobs;
    this.unpackFailures = unpackFailures;
    this.content = content;
    this.layers = layers;
    this.limits = limits;
  }

  /** Bytes the record occupies: blob-only records count only their blob (spec 4.2). */
  long size(CacheRecord rec) {
    try {
      long total = 0;
      Digest blob = rec.blob();
      if (blob != null) {
        Optional<ContentInfo> info = content.info(blob);
        total += info.map(ContentInfo::size).orElse(0L);
      }
      if (rec.isBlobOnly()) {
        return total;
      }
      Digest diffId = rec.diffId();
      // A committed upper given a blob (getRemotes) still keeps its data in its upper directory.
      boolean upper = rec.layerDir != null && rec.layerDir.startsWith(cm.layout().uppers());
      if (diffId != null && blob != null && !upper) {
        total += layers.isUnpacked(diffId) ? layers.diskBytes(diffId) : 0;
      } else if (rec.layerDir != null && Files.isDirectory(rec.layerDir)) {
        total += FileTrees.diskBytes(rec.layerDir);
      }
      return total;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names in the record's own blob (spec 2.17), fetching a lazy blob first. */
  List<String> fileList(ImmutableHandle h) {
    CacheRecord rec = h.rec;
    Digest blob = rec.blob();
    if (blob == null) {
      return List.of();
    }
    List<String>[] out = new List[1];
    try {
      fileLists.run(rec.id, () -> {
        byte[] cached = rec.md.getExternal(FILE_LIST);
        if (cached != null) {
          out[0] = JSON.readValue(cached, NAMES);
          return;
        }
        Descriptor desc = rec.descriptor();
        blobs.fetch(rec, desc, h.descHandlers);
        List<String> names;
        try (InputStream in = content.open(blob)) {
          names = TarLister.list(in, new LayerBlob(blob.toString(), desc.mediaType(), desc.size()), limits);
        }
        rec.md.setExternal(FILE_LIST, JSON.writeValueAsBytes(names));
        out[0] = names;
      });
    } catch (IOException e) {
      throw new CacheException("cannot list files of " + rec.id + ": " + e.getMessage(), e);
    }
    if (out[0] == null) {
      // Another caller listed it: read what it stored.
      byte[] cached = rec.md.getExternal(FILE_LIST);
      try {
        return cached == null ? List.of() : JSON.readValue(cached, NAMES);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return List.copyOf(out[0]);
  }

  /**
   * Every live record, sorted by ID: listed and sorted without the manager lock, then described
   * under it a chunk at a time (one hold for 100 000 records stalled every lookup through the view).
   */
  List<RecordInfo> records() {
    List<RecordInfo> out = new ArrayList<>();
    eachRecord(out::add);
    return out;
  }

  /**
   * Every live record, sorted by ID, to {@code sink}: described a chunk at a time under the lock and
   * given to {@code sink} outside it, so that neither a hold of the lock nor the memory grows with the
   * number of records (a listing of a very large cache streams, as disk usage does).
   */
  void eachRecord(Consumer<RecordInfo> sink) {
    records.mu.lock();
    try {
      records.ensureOpen();
    } finally {
      records.mu.unlock();
    }
    List<CacheRecord> all = records.listedWithoutLock();
    all.sort(Comparator.comparing((CacheRecord r) -> r.id));
    List<RecordInfo> chunk = new ArrayList<>(UsageSnapshot.CHUNK);
    for (int i = 0; i < all.size(); i += UsageSnapshot.CHUNK) {
      chunk.clear();
      records.mu.lock();
      try {
        for (CacheRecord rec : all.subList(i, Math.min(all.size(), i + UsageSnapshot.CHUNK))) {
          if (!rec.isDead()) {
            chunk.add(infoOf(rec));
          }
        }
      } finally {
        records.mu.unlock();
      }
      chunk.forEach(sink);
    }
  }

  /** One record; NotFoundException when unknown. */
  RecordInfo info(String id) {
    records.mu.lock();
    try {
      records.ensureOpen();
      return infoOf(records.getLocked(id, Map.of()));
    } finally {
      records.mu.unlock();
    }
  }

  /** Whether a read-only mount of {@code id} would first fetch or unpack; see {@link CacheManager#needsExtract}. */
  boolean needsExtract(String id) {
    CacheRecord rec;
    records.mu.lock();
    try {
      records.ensureOpen();
      rec = records.getLocked(id, Map.of());
    } finally {
      records.mu.unlock();
    }
    // As extraction does, outside the lock: the answer is a snapshot either way.
    return materializer.needsExtract(LayerChain.of(rec, Map.of()));
  }

  /** Caller holds mu. */
  private RecordInfo infoOf(CacheRecord r) {
    RecordMetadata m = new RecordMetadata(cm, r);
    Digest blob = r.blob();
    Digest diffId = r.diffId();
    boolean blobOnly = r.isBlobOnly();
    return new RecordInfo(r.id, r.kind(), r.mutable, !r.refs.isEmpty(), r.refs.size(), m.description(),
        m.recordType(), m.createdAt(), m.lastUsedAt().orElse(null), m.usageCount(),
        r.parents.handles().stream().map(h -> h.rec.id).toList(), blobOnly,
        blobOnly && blob != null && !blobs.isLocal(blob), blob == null ? null : blob.toString(),
        diffId == null ? null : diffId.toString(), r.md.getString(MetadataKeys.CHAIN_ID), r.isRetain(),
        r.equalMutable == null ? null : r.equalMutable.rec.id,
        r.equalImmutable == null ? null : r.equalImmutable.id,
        blob == null || r.mutable ? null
            : unpackFailures.active(blob).map(UnpackFailures::describe).orElse(null));
  }
}
