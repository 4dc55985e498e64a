package org.refcache.core.cache;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;

/**
 * How to open a {@link CacheManager}.
 *
 * @param root the state root (DESIGN: default {@code /var/lib/refcache})
 * @param clock the time source for created/last-used times (tests inject a fixed one)
 * @param resolver re-binds providers of lazy blobs after a restart
 */
public record CacheConfig(Path root, Clock clock, RemoteResolver resolver) {
  public CacheConfig {
    Objects.requireNonNull(root, "root");
    clock = clock == null ? Clock.systemUTC() : clock;
    resolver = resolver == null ? RemoteResolver.NONE : resolver;
  }

  public static CacheConfig at(Path root) {
    return new CacheConfig(root, null, null);
  }
}
