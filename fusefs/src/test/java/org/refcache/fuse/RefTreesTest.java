package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.overlay.OverlayTree;

/** The lease cache on its own, without a mount. */
class RefTreesTest {

  @TempDir
  Path tmp;
  TestRefSource source;
  OverlayTree tree;

  @BeforeEach
  void setUp() throws IOException {
    tree = new OverlayTree(List.of(Files.createDirectories(tmp.resolve("layer"))));
    source = new TestRefSource();
    for (String id : List.of("a", "b", "c")) {
      source.add(id, tree);
    }
  }

  @Test
  void aUseKeepsTheLeaseUntilReleasedEvenAfterInvalidate() {
    RefTrees trees = new RefTrees(source, 10);
    RefTree use = trees.acquire("a").orElseThrow();

    trees.invalidate("a");
    assertThat(source.closed("a")).isZero();

    use.close();
    assertThat(source.closed("a")).isEqualTo(1);
    assertThat(trees.acquire("a")).isPresent();
    assertThat(source.opened("a")).isEqualTo(2);
  }

  @Test
  void unknownIdsAreEmptyAndNotRemembered() {
    RefTrees trees = new RefTrees(source, 10);
    assertThat(trees.acquire("new")).isEmpty();

    source.add("new", tree);
    try (RefTree use = trees.acquire("new").orElseThrow()) {
      assertThat(use.tree()).isSameAs(tree);
    }
  }

  @Test
  void theLeastRecentlyUsedRefIsEvicted() {
    RefTrees trees = new RefTrees(source, 2);
    trees.acquire("a").orElseThrow().close();
    trees.acquire("b").orElseThrow().close();
    trees.acquire("a").orElseThrow().close();
    trees.acquire("c").orElseThrow().close();

    assertThat(trees.size()).isEqualTo(2);
    assertThat(source.closed("b")).isEqualTo(1);
    assertThat(source.closed("a")).isZero();
    assertThat(source.closed("c")).isZero();
  }

  @Test
  void closeReleasesEveryCachedLeaseAndLaterAccessesFindNothing() {
    RefTrees trees = new RefTrees(source, 10);
    trees.acquire("a").orElseThrow().close();
    trees.acquire("b").orElseThrow().close();

    trees.close();
    trees.close();

    assertThat(source.leasesHeld()).isZero();
    assertThat(trees.acquire("a")).isEmpty();
  }

  @Test
  void aFailedOpenIsRethrownAndRetriedNextTime() {
    RefTrees trees = new RefTrees(source, 10);
    source.failOpens(new IllegalStateException("fetch failed"));
    assertThatThrownBy(() -> trees.acquire("a")).hasMessage("fetch failed");

    source.failOpens(null);
    assertThat(trees.acquire("a")).isPresent();
  }

  @Test
  void aRefInvalidatedWhileBeingOpenedIsReleasedAndOpenedAgain() throws Exception {
    RefTrees trees = new RefTrees(source, 10);
    CountDownLatch gate = new CountDownLatch(1);
    source.holdOpens("a", gate);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<Optional<RefTree>> opening = pool.submit(() -> trees.acquire("a"));
      while (source.attempts("a") == 0) {
        Thread.onSpinWait();
      }
      trees.invalidate("a");
      gate.countDown();
      RefTree use = opening.get(10, TimeUnit.SECONDS).orElseThrow();

      // The lease opened across the invalidation is dropped; the caller gets a fresh one.
      assertThat(source.opened("a")).isEqualTo(2);
      assertThat(source.closed("a")).isEqualTo(1);
      use.close();
      assertThat(trees.size()).isEqualTo(1);
      assertThat(source.leasesHeld()).isEqualTo(1);
    } finally {
      gate.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void releasingMoreThanRetainedIsABug() {
    RefTrees trees = new RefTrees(source, 10);
    RefTree use = trees.acquire("a").orElseThrow();
    use.close();
    trees.invalidate("a");
    assertThatThrownBy(use::close).isInstanceOf(IllegalStateException.class);
  }
}
