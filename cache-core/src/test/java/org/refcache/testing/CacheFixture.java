package org.refcache.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.Ref;
import org.refcache.core.content.ContentStore;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.meta.MetadataStore;

/**
 * A real cache manager over a temporary state root, what the cache's conformance tests extend:
 * opened before each test with {@link #config()}, reopened as after a restart
 * ({@link #reopen()}), its stored records written while it is closed as a crash would leave them
 * ({@link #withClosedStore}), and closed after each test once the refs the test kept
 * ({@link #keep}) are released.
 */
public abstract class CacheFixture {
  @TempDir protected Path root;
  protected CacheManager cm;
  private final List<Ref> kept = new ArrayList<>();

  /** What the manager opens with: the defaults at {@link #root}; a test may add a clock or limits. */
  protected CacheConfig config() {
    return CacheConfig.at(root);
  }

  @BeforeEach
  protected void openManager() throws IOException {
    cm = CacheManager.open(config());
  }

  @AfterEach
  protected void closeManager() {
    try {
      releaseKept();
    } finally {
      if (cm != null) {
        cm.close();
      }
    }
  }

  /** {@code ref}, released after the test (before the manager closes). */
  protected <T extends Ref> T keep(T ref) {
    kept.add(ref);
    return ref;
  }

  /** Releases the refs kept so far (before a restart that must find them unused). */
  protected void releaseKept() {
    kept.forEach(Ref::release);
    kept.clear();
  }

  /** Closes the manager and opens it again, as a restart of the service does. */
  protected void reopen() throws IOException {
    cm.close();
    cm = CacheManager.open(config());
  }

  /**
   * Runs {@code fn} on the metadata store while the manager is closed, then opens the manager
   * again: records as a crash, or another version, would leave them.
   */
  protected void withClosedStore(Consumer<MetadataStore> fn) throws IOException {
    cm.close();
    List<String> dbs = new ArrayList<>(MetadataStore.DATABASES);
    dbs.add(ContentStore.DATABASE);
    try (LmdbEnvironment env = LmdbEnvironment.open(root.resolve("meta"), dbs)) {
      fn.accept(new MetadataStore(env));
    }
    cm = CacheManager.open(config());
  }
}
