package org.refcache.core.content;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.testing.TestClock;

/** A real LMDB environment and content store in a temporary state root, with a settable clock. */
abstract class ContentStoreFixture {
  static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456789Z");

  @TempDir Path root;
  final TestClock clock = new TestClock(T0);
  LmdbEnvironment env;
  ContentStore store;

  @BeforeEach
  void openStore() throws IOException {
    env = LmdbEnvironment.open(root.resolve("meta"), List.of(ContentStore.DATABASE), 0);
    store = ContentStore.open(contentRoot(), env, clock);
  }

  @AfterEach
  void closeEnvironment() {
    env.close();
  }

  Path contentRoot() {
    return root.resolve("content");
  }

  /** Closes the environment and opens environment and store again, as after a restart. */
  void reopen() throws IOException {
    env.close();
    env = LmdbEnvironment.open(root.resolve("meta"), List.of(ContentStore.DATABASE), 0);
    store = ContentStore.open(contentRoot(), env, clock);
  }

  Digest ingest(String ref, byte[] data, Map<String, String> labels) throws IOException {
    return store.ingest(ref, new ByteArrayInputStream(data), data.length, Digest.sha256(data), labels);
  }

  List<Path> ingestEntries() throws IOException {
    try (Stream<Path> s = Files.list(contentRoot().resolve("ingest"))) {
      return s.toList();
    }
  }

  List<Path> blobFiles() throws IOException {
    try (Stream<Path> s = Files.walk(contentRoot().resolve("blobs"))) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] data = new byte[n];
    new Random(seed).nextBytes(data);
    return data;
  }
}
