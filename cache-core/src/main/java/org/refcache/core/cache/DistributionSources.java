package org.refcache.core.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.InvalidReferenceException;

/**
 * Spec 6.4: a lazy layer's descriptor names where its blob can be had without fetching it, as
 * BuildKit (and containerd's push) write it: {@code containerd.io/distribution.source.<host>} =
 * the comma-separated repositories of that registry the layer was pulled for (its
 * {@code cache.imageRefs}). The host is the registry's host without its port, as Go's
 * {@code url.Hostname()} gives it to BuildKit; a repository already named is not repeated.
 */
final class DistributionSources {
  /** The annotation key's prefix; the registry's host follows it. */
  static final String PREFIX = "containerd.io/distribution.source.";

  private DistributionSources() {}

  /**
   * {@code annotations} with the distribution sources of {@code imageRefs} added (a new map). A
   * stored reference that no longer parses is skipped: it names no registry to fetch from.
   */
  static Map<String, String> add(Map<String, String> annotations, List<String> imageRefs) {
    Map<String, String> out = new LinkedHashMap<>(annotations);
    for (String stored : imageRefs) {
      ImageReference image;
      try {
        image = ImageReference.parse(stored);
      } catch (InvalidReferenceException e) {
        continue;
      }
      String key = PREFIX + image.host();
      String existing = out.get(key);
      List<String> repositories = new ArrayList<>();
      if (existing != null && !existing.isEmpty()) {
        repositories.addAll(Arrays.asList(existing.split(",")));
      }
      if (!repositories.contains(image.repository())) {
        repositories.add(image.repository());
      }
      out.put(key, String.join(",", repositories));
    }
    return out;
  }
}
