package org.refcache.core.meta;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A metadata store over a real LMDB environment in a temporary directory, closed after each test. */
abstract class MetadataStoreFixture {
  @TempDir
  Path dir;

  LmdbEnvironment env;
  MetadataStore store;

  @BeforeEach
  void openStore() throws Exception {
    env = LmdbEnvironment.open(dir, MetadataStore.DATABASES);
    store = new MetadataStore(env);
  }

  @AfterEach
  void closeEnvironment() {
    env.close();
  }
}
