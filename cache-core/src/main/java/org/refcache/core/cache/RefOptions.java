package org.refcache.core.cache;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.refcache.core.digest.Digest;

/** Factories for {@link RefOption}s, and the parsed form the manager works with. */
public final class RefOptions {
  private RefOptions() {}

  public static RefOption description(String text) {
    return new RefOption.Description(text);
  }

  public static RefOption recordType(String type) {
    if (!RecordTypes.ALL.contains(type)) {
      throw new IllegalArgumentException("unknown record type " + type + "; one of " + RecordTypes.ALL);
    }
    return new RefOption.RecordType(type);
  }

  public static RefOption creationTime(Instant time) {
    return new RefOption.CreationTime(time);
  }

  public static RefOption retain() {
    return new RefOption.CachePolicy(true);
  }

  public static RefOption cachePolicyDefault() {
    return new RefOption.CachePolicy(false);
  }

  public static RefOption imageRef(String ref) {
    return new RefOption.ImageRef(ref);
  }

  public static RefOption noUpdateLastUsed() {
    return new RefOption.NoUpdateLastUsed();
  }

  public static RefOption descHandlers(Map<Digest, DescHandler> handlers) {
    return new RefOption.DescHandlers(handlers);
  }

  public static RefOption unlazy() {
    return new RefOption.Unlazy();
  }

  /** See {@link RefOption.Weak}. */
  public static RefOption weak() {
    return new RefOption.Weak();
  }

  static boolean isWeak(RefOption... opts) {
    for (RefOption o : opts) {
      if (o instanceof RefOption.Weak) {
        return true;
      }
    }
    return false;
  }

  /** Providers of {@code first}, then those of {@code second} for digests {@code first} lacks. */
  static Map<Digest, DescHandler> merge(Map<Digest, DescHandler> first, Map<Digest, DescHandler> second) {
    if (second.isEmpty()) {
      return first;
    }
    if (first.isEmpty()) {
      return second;
    }
    Map<Digest, DescHandler> merged = new HashMap<>(second);
    merged.putAll(first);
    return merged;
  }

  /** The options of one call, sorted by what they do. */
  record Parsed(List<RefOption> initializers, List<String> imageRefs, boolean noUpdateLastUsed,
      Map<Digest, DescHandler> descHandlers, boolean unlazy) {

    static Parsed of(RefOption... opts) {
      List<RefOption> init = new ArrayList<>();
      List<String> imageRefs = new ArrayList<>();
      boolean noUpdate = false;
      boolean unlazy = false;
      Map<Digest, DescHandler> handlers = null;
      for (RefOption o : opts) {
        if (o == null) {
          continue;
        }
        // Java 17 has no pattern switch; the sealed interface keeps this list complete by review.
        if (o instanceof RefOption.ImageRef r) {
          imageRefs.add(r.ref());
        } else if (o instanceof RefOption.NoUpdateLastUsed) {
          noUpdate = true;
        } else if (o instanceof RefOption.DescHandlers h) {
          if (handlers == null) {
            handlers = h.handlers();
          }
        } else if (o instanceof RefOption.Unlazy) {
          unlazy = true;
        } else {
          init.add(o);
        }
      }
      return new Parsed(init, imageRefs, noUpdate, handlers == null ? Map.of() : handlers, unlazy);
    }

    /** These handlers, then the given ones for digests not covered here. */
    Map<Digest, DescHandler> handlersOver(Map<Digest, DescHandler> others) {
      return merge(descHandlers, others);
    }
  }
}
