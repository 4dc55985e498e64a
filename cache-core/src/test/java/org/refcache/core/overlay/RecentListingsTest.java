package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A directory asked for while another thread lists it (a walk catching up with the read-ahead)
 * is listed once: the second caller waits for the first's listing instead of making its own.
 */
class RecentListingsTest {

  @Test
  void aDirectoryAskedForWhileItIsListedIsListedOnce() throws Exception {
    RecentListings listings = new RecentListings(1000);
    AtomicInteger made = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    List<Listed> listing = new java.util.ArrayList<>(); // an object of its own
    CompletableFuture<List<Listed>> first = CompletableFuture.supplyAsync(() -> {
      try {
        return listings.listing("d", () -> {
          made.incrementAndGet();
          started.countDown();
          await(finish);
          return listing;
        });
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
    java.util.concurrent.atomic.AtomicReference<Object> secondGot =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread second = new Thread(() -> {
      try {
        secondGot.set(listings.listing("d", () -> {
          made.incrementAndGet();
          return List.of();
        }));
      } catch (IOException | RuntimeException e) {
        secondGot.set(e);
      }
    });
    second.start();
    while (second.getState() != Thread.State.WAITING && second.isAlive()) {
      Thread.onSpinWait(); // until it waits for the first listing
    }

    finish.countDown();
    second.join();

    assertThat(first.get()).isSameAs(listing);
    assertThat(secondGot.get()).isSameAs(listing);
    assertThat(made).hasValue(1);
    assertThat(listings.get("d")).isSameAs(listing);
  }

  @Test
  void aFailedListingIsNotKeptAndTheNextCallerListsAgain() throws Exception {
    RecentListings listings = new RecentListings(1000);

    assertThatThrownBy(() -> listings.listing("d", () -> {
      throw new java.nio.file.NoSuchFileException("d");
    })).isInstanceOf(java.nio.file.NoSuchFileException.class);

    assertThat(listings.get("d")).isNull();
    assertThat(listings.listing("d", List::of)).isEmpty();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
