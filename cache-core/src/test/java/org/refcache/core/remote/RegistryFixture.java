package org.refcache.core.remote;

import org.refcache.testing.LocalRegistry;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.LmdbEnvironment;

/**
 * A content store in a temporary state root and a {@link LocalRegistry} next to it, with a client
 * that retries quickly; all closed after each test.
 */
abstract class RegistryFixture {
  /** Short waits so failures that are retried do not slow the tests down. */
  static final RetryPolicy QUICK = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100), 3);

  @TempDir Path root;
  LmdbEnvironment env;
  ContentStore store;
  LocalRegistry registry;
  RegistryClient client;

  @BeforeEach
  void openStoreAndRegistry() throws IOException {
    env = LmdbEnvironment.open(root.resolve("meta"), List.of(ContentStore.DATABASE), 0);
    store = ContentStore.open(root.resolve("content"), env);
    registry = startRegistry(root.resolve("registry"));
    client = RegistryClient.builder().retry(QUICK).build();
  }

  /** The registry for the test; open by default. */
  LocalRegistry startRegistry(Path dir) throws IOException {
    return LocalRegistry.start(dir);
  }

  @AfterEach
  void closeStoreAndRegistry() {
    if (registry != null) {
      registry.close();
    }
    if (env != null) {
      env.close();
    }
  }

  byte[] storedBytes(Digest d) throws IOException {
    try (InputStream in = store.open(d)) {
      return in.readAllBytes();
    }
  }

  /** Blob files committed to the content store. */
  List<Path> committedBlobs() throws IOException {
    try (Stream<Path> s = Files.walk(root.resolve("content/blobs"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  /** Writes in progress left in the content store. */
  List<Path> ingestLeftovers() throws IOException {
    try (Stream<Path> s = Files.list(root.resolve("content/ingest"))) {
      return s.toList();
    }
  }

  /** Requests of the registry's access log with this method whose path contains {@code part}. */
  List<LocalRegistry.Access> requests(String method, String part) throws IOException {
    return registry.accessLog().stream().filter(a -> a.method().equals(method) && a.path().contains(part)).toList();
  }

  void assertNothingCommittedOrLeft() throws IOException {
    assertThat(committedBlobs()).isEmpty();
    assertThat(ingestLeftovers()).isEmpty();
  }
}
