package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Which directories {@link DirectoryReadAhead} lists ahead of a walk, and how far ahead. The view
 * only records what it is asked to read ahead (and can hold the reading back): the listings
 * themselves are the view's ({@code RefFileSystem.readAhead}); a walk through a mount reads the
 * same trees with and without it ({@code MergeDiffViewTest}, {@code ReadOnlyViewTest}).
 */
class DirectoryReadAheadTest {
  private static final MountPath ROOT = MountPath.refRoot("r");

  /** Directories read ahead, in order; each waits for {@code gate} first. */
  private final BlockingQueue<MountPath> readAhead = new LinkedBlockingQueue<>();
  private volatile CountDownLatch gate = new CountDownLatch(0);

  private final ViewOperations view = (ViewOperations) Proxy.newProxyInstance(
      getClass().getClassLoader(), new Class<?>[] {ViewOperations.class}, (proxy, method, args) -> {
        if (!method.getName().equals("readAhead")) {
          throw new UnsupportedOperationException(method.getName());
        }
        gate.await();
        readAhead.add((MountPath) args[0]);
        return null;
      });
  private final DirectoryReadAhead ahead = new DirectoryReadAhead(view);

  private static MountPath at(String relative) {
    return MountPath.inRef("r", relative);
  }

  private List<MountPath> taken(int n) throws InterruptedException {
    List<MountPath> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      MountPath next = readAhead.poll(30, TimeUnit.SECONDS);
      assertThat(next).as("read ahead #" + i).isNotNull();
      out.add(next);
    }
    return out;
  }

  @Test
  void aDirectoryReadOnItsOwnIsNoWalk() {
    assertThat(ahead.reading(at("a/b"))).as("its parent was not read").isFalse();
    assertThat(ahead.isWalked(at("a/b"))).isFalse();
  }

  @Test
  void aDirectoryWhoseParentWasJustReadIsAWalkGoingDown() {
    assertThat(ahead.reading(ROOT)).isFalse();
    assertThat(ahead.reading(at("a"))).isTrue();
    assertThat(ahead.isWalked(at("a"))).as("read on past its start").isTrue();
    assertThat(ahead.reading(at("a/b"))).isTrue();
    assertThat(ahead.reading(at("c/d"))).as("c was not read").isFalse();
  }

  @Test
  void addedDirectoriesAreReadAheadInOrder() throws InterruptedException {
    ahead.add(at("a"));
    ahead.add(at("b"));
    ahead.add(at("c"));
    assertThat(taken(3)).containsExactly(at("a"), at("b"), at("c"));
  }

  @Test
  void aDirectoryTheWalkReachedFirstIsNotReadAgain() throws InterruptedException {
    gate = new CountDownLatch(1); // the first one waits, so the walk gets to the second first
    ahead.add(at("a"));
    ahead.add(at("b"));
    ahead.add(at("c"));
    ahead.reading(at("b"));
    gate.countDown();
    assertThat(taken(2)).containsExactly(at("a"), at("c"));
  }

  @Test
  void noMoreThanTheWindowIsReadAheadOfTheWalk() throws InterruptedException {
    int n = DirectoryReadAhead.WINDOW + 5;
    for (int i = 0; i < n; i++) {
      ahead.add(at("d" + i));
    }
    assertThat(taken(DirectoryReadAhead.WINDOW)).startsWith(at("d0"));
    // The window is full: the next waits until the walk reaches one of them.
    assertThat(readAhead.poll(300, TimeUnit.MILLISECONDS)).isNull();
    ahead.reading(at("d0"));
    ahead.reading(at("d1"));
    assertThat(taken(2)).containsExactly(at("d" + DirectoryReadAhead.WINDOW),
        at("d" + (DirectoryReadAhead.WINDOW + 1)));
  }

  @Test
  void aWalkStillReadingTheParentKeepsItsWindowPastTheStall() throws InterruptedException {
    ahead.reading(ROOT);
    ahead.reading(at("big")); // a directory of many subdirectories, read in several requests
    int n = DirectoryReadAhead.WINDOW + 1;
    for (int i = 0; i < n; i++) {
      ahead.add(at("big/d" + i));
    }
    assertThat(taken(DirectoryReadAhead.WINDOW)).startsWith(at("big/d0"));
    // Longer than the stall (2 s) before the walk reaches the first subdirectory, reading the
    // rest of the parent meanwhile: the window and what waits behind it are kept.
    for (int i = 0; i < 6; i++) {
      Thread.sleep(500);
      assertThat(ahead.isWalked(at("big"))).isTrue();
    }
    ahead.reading(at("big/d0"));
    assertThat(taken(1)).containsExactly(at("big/d" + DirectoryReadAhead.WINDOW));
  }
}
