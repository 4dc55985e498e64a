package org.refcache.core.cache;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.LayerConverter;
import org.refcache.core.layer.LayerWriter;
import org.refcache.core.layer.MediaTypes;

/**
 * Compression variants of layer blobs (spec 6.7): blobs of the same tar (the same diffID) compressed
 * differently, linked both ways by content labels {@value #LINK_PREFIX}{@code <digest>}, each carrying
 * its media type in {@value #MEDIA_TYPE_LABEL}. The links live with the blobs, not with a record, so a
 * variant made for one ref is found from any ref whose blob is linked to it, and outlives the ref it
 * was made for: the garbage collector follows the links from every blob a record roots
 * ({@link #reachable}), and a cycle of links no record reaches goes as a whole.
 */
final class BlobVariants {
  /** containerd's label for a blob that keeps another alive; the value is the other's digest. */
  static final String LINK_PREFIX = "containerd.io/gc.ref.content.blob-";
  /** BuildKit's label for a blob's media type (a variant has no record to say it). */
  static final String MEDIA_TYPE_LABEL = "buildkit.io/blob/mediatype";

  private final ContentStore content;
  private final LayerConverter converter;
  private final SingleFlight<String> conversions = new SingleFlight<>();

  BlobVariants(ContentStore content) {
    this.content = content;
    this.converter = new LayerConverter(content);
  }

  /** The blobs linked to {@code main}, directly or not, as descriptors (main itself not included). */
  List<Descriptor> linked(Descriptor main) throws IOException {
    Digest diffId = Digest.parse(main.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
    List<Descriptor> out = new ArrayList<>();
    Map<Digest, ContentInfo> seen = new HashMap<>();
    reachable(content, List.of(main.digest()), d -> { }, seen);
    for (ContentInfo info : seen.values()) {
      String mt = info.labels().get(MEDIA_TYPE_LABEL);
      if (info.digest().equals(main.digest()) || mt == null) {
        continue;
      }
      out.add(Descriptor.layer(mt, info.digest(), info.size(), diffId));
    }
    out.sort((a, b) -> a.digest().toString().compareTo(b.digest().toString()));
    return out;
  }

  /** The first of {@code main} and its variants that needs no conversion to {@code target}. */
  Optional<Descriptor> find(Descriptor main, Compression target) throws IOException {
    if (!needsConversion(main.mediaType(), target)) {
      return Optional.of(main);
    }
    for (Descriptor v : linked(main)) {
      if (!needsConversion(v.mediaType(), target)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /**
   * A variant of the local blob {@code main} in {@code target}: found among its links, else made by
   * {@link LayerConverter} (the tar copied byte for byte, its diffID checked) and linked; one
   * conversion at a time per blob and target.
   */
  Descriptor ensure(Descriptor main, Compression target, int level) throws IOException {
    Optional<Descriptor> found = find(main, target);
    if (found.isPresent()) {
      return found.get();
    }
    conversions.run(main.digest() + "-" + target, () -> {
      if (find(main, target).isEmpty()) {
        Digest diffId = Digest.parse(main.annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
        LayerWriter.WrittenLayer w = converter.convert(main.digest(), main.mediaType(), diffId, target, level);
        link(main, Descriptor.layer(w.mediaType(), w.blob(), w.size(), w.diffId()));
      }
    });
    return find(main, target).orElseThrow(() -> new CacheException("converting " + main.digest() + " to "
        + target + " left no variant"));
  }

  /** Links two blobs of one tar both ways (spec 6.7 linkBlob), recording each one's media type. */
  void link(Descriptor a, Descriptor b) throws IOException {
    content.updateLabels(a.digest(), Map.of(LINK_PREFIX + b.digest(), b.digest().toString(),
        MEDIA_TYPE_LABEL, a.mediaType()));
    content.updateLabels(b.digest(), Map.of(LINK_PREFIX + a.digest(), a.digest().toString(),
        MEDIA_TYPE_LABEL, b.mediaType()));
  }

  /** Whether a blob of {@code mediaType} would have to be converted to be {@code target} (spec 6.2). */
  static boolean needsConversion(String mediaType, Compression target) {
    try {
      return MediaTypes.compressionOf(mediaType) != target;
    } catch (IllegalArgumentException e) {
      return true;
    }
  }

  /**
   * Gives {@code sink} every stored blob reachable from {@code roots} through link labels (the roots
   * that are stored included), each once; cycles are fine.
   */
  static void reachable(ContentStore content, Collection<Digest> roots, Consumer<Digest> sink) throws IOException {
    reachable(content, roots, sink, new HashMap<>());
  }

  private static void reachable(ContentStore content, Collection<Digest> roots, Consumer<Digest> sink,
      Map<Digest, ContentInfo> seen) throws IOException {
    Deque<Digest> todo = new ArrayDeque<>(roots);
    Set<Digest> visited = new LinkedHashSet<>();
    while (!todo.isEmpty()) {
      Digest d = todo.pop();
      if (!visited.add(d)) {
        continue;
      }
      Optional<ContentInfo> info = content.info(d);
      if (info.isEmpty()) {
        continue;
      }
      seen.put(d, info.get());
      sink.accept(d);
      for (Map.Entry<String, String> label : info.get().labels().entrySet()) {
        if (label.getKey().startsWith(LINK_PREFIX)) {
          try {
            todo.push(Digest.parse(label.getValue()));
          } catch (RuntimeException e) {
            // not a digest: a label someone else set, which links nothing
          }
        }
      }
    }
  }
}
