package org.refcache.core.cache;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import org.refcache.core.layer.LayerLimits;

/**
 * How to open a {@link CacheManager}.
 *
 * @param root the state root (DESIGN: default {@code /var/lib/refcache})
 * @param clock the time source for created/last-used times (tests inject a fixed one)
 * @param resolver re-binds providers of lazy blobs after a restart
 * @param layerLimits what one layer may cost to unpack or list (default {@link LayerLimits#DEFAULTS})
 */
public record CacheConfig(Path root, Clock clock, RemoteResolver resolver, LayerLimits layerLimits) {
  public CacheConfig {
    Objects.requireNonNull(root, "root");
    clock = clock == null ? Clock.systemUTC() : clock;
    resolver = resolver == null ? RemoteResolver.NONE : resolver;
    layerLimits = layerLimits == null ? LayerLimits.DEFAULTS : layerLimits;
  }

  /** With the default layer limits. */
  public CacheConfig(Path root, Clock clock, RemoteResolver resolver) {
    this(root, clock, resolver, null);
  }

  public static CacheConfig at(Path root) {
    return new CacheConfig(root, null, null, null);
  }

  /** This configuration with {@code limits} for layers. */
  public CacheConfig withLayerLimits(LayerLimits limits) {
    return new CacheConfig(root, clock, resolver, limits);
  }
}
