package org.refcache.core.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.Value;
import org.refcache.posix.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layer blobs that are not in the content store yet (spec 2.4, 6.3): whether a blob is local, who can
 * fetch one that is not (the handlers a caller gives, then a provider bound before, then one re-bound
 * through the {@link RemoteResolver} from what the record stored: DESIGN decision 1), and fetching it,
 * once per digest however many callers wait. A failed fetch is not remembered: the next need tries
 * again.
 *
 * <p>Thread-safe; takes no lock of the manager. {@link #requireProviders} runs under it (the resolver
 * only builds a handler); {@link #fetch} runs outside it.
 */
final class LazyBlobs {
  /** The ref manager's log: one category for all its parts, as operators know it. */
  private static final Logger LOG = LoggerFactory.getLogger(CacheManager.class);

  private final ContentStore content;
  private final RemoteResolver resolver;
  /** Providers re-bound through the resolver or passed once, by blob digest. */
  private final Map<Digest, DescHandler> bound = new ConcurrentHashMap<>();
  private final SingleFlight<Digest> fetches = new SingleFlight<>();

  /** A lease per fetch: the blob is kept from the collector even if its record is pruned while the bytes are on the way. */
  private final Supplier<WorkLease> leases;

  LazyBlobs(ContentStore content, RemoteResolver resolver, Supplier<WorkLease> leases) {
    this.content = content;
    this.resolver = resolver;
    this.leases = leases;
  }

  /** Whether the blob is in the content store. */
  boolean isLocal(Digest blob) {
    return Files.exists(content.blobPath(blob));
  }

  /**
   * Fails when a lazy blob of {@code rec}'s chain has no provider, neither given nor re-bindable
   * (spec 2.4 step 9).
   *
   * @throws NeedsRemoteProviderException listing every such blob
   */
  void requireProviders(CacheRecord rec, Map<Digest, DescHandler> handlers) {
    List<Digest> missing = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<CacheRecord> todo = new ArrayList<>();
    todo.add(rec);
    while (!todo.isEmpty()) {
      CacheRecord r = todo.remove(todo.size() - 1);
      if (!seen.add(r.id)) {
        continue;
      }
      if (r.isBlobOnly()) {
        Digest blob = r.blob();
        if (blob != null && !isLocal(blob) && providerFor(r, blob, handlers) == null) {
          missing.add(blob);
        }
      }
      for (ImmutableHandle h : r.parents.handles()) {
        todo.add(h.rec);
      }
    }
    if (!missing.isEmpty()) {
      throw new NeedsRemoteProviderException(missing);
    }
  }

  private DescHandler providerFor(CacheRecord r, Digest blob, Map<Digest, DescHandler> handlers) {
    DescHandler h = handlers.get(blob);
    if (h != null) {
      return h;
    }
    h = bound.get(blob);
    if (h != null) {
      return h;
    }
    Optional<DescHandler> resolved = resolver.resolve(r.md.getString(MetadataKeys.REMOTE), r.descriptor());
    resolved.ifPresent(d -> bound.put(blob, d));
    return resolved.orElse(null);
  }

  /** Fetches the blob {@code desc} of {@code rec} into the content store unless it is there. */
  void fetch(CacheRecord rec, Descriptor desc, Map<Digest, DescHandler> handlers) throws IOException {
    Digest blob = desc.digest();
    if (isLocal(blob)) {
      return;
    }
    fetches.run(blob, () -> {
      if (isLocal(blob)) {
        return;
      }
      DescHandler dh = providerFor(rec, blob, handlers);
      if (dh == null) {
        throw new NeedsRemoteProviderException(List.of(blob));
      }
      LOG.info("fetching {} ({} bytes) for {} from {}", blob, desc.size(), rec.id, dh.ref());
      long start = System.nanoTime();
      // The record names the blob, but a prune may take the record while the bytes are on the way.
      try (WorkLease lease = leases.get(); InputStream in = dh.provider().open(desc)) {
        content.ingest("fetch-" + blob.encoded(), in, desc.size(), blob,
            Map.of(Descriptor.UNCOMPRESSED_ANNOTATION, desc.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)));
      } catch (IOException | RuntimeException e) {
        LOG.warn("fetching {} for {} failed after {} ms: {}", blob, rec.id, (System.nanoTime() - start) / 1_000_000,
            Printable.line(String.valueOf(e.getMessage())));
        throw e;
      }
      long millis = Math.max(1, (System.nanoTime() - start) / 1_000_000);
      LOG.info("fetched {} ({} bytes) for {} in {} ms ({} KiB/s)", blob, desc.size(), rec.id, millis,
          desc.size() * 1000 / 1024 / millis);
      if (rec.md.getString(MetadataKeys.DESCRIPTION) == null && !rec.dead) {
        List<String> refs = rec.md.getStringList(MetadataKeys.IMAGE_REFS);
        if (refs != null && !refs.isEmpty()) {
          rec.md.setValue(MetadataKeys.DESCRIPTION, Value.of("pulled from " + refs.get(0)));
        }
      }
    });
  }
}
