package org.refcache.core.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EarlyWritebackTest {
  @Test
  void startsAFlushEachTimeEnoughWasWrittenSinceTheLast() throws IOException {
    AtomicInteger flushes = new AtomicInteger();
    EarlyWriteback writeback = new EarlyWriteback(flushes::incrementAndGet, 100, "test-flush");

    writeback.written(60);
    writeback.await();
    assertThat(flushes).hasValue(0);

    writeback.written(60);
    writeback.await();
    assertThat(flushes).hasValue(1);

    writeback.written(99);
    writeback.await();
    assertThat(flushes).as("counting starts again after a flush").hasValue(1);
  }

  /** Linux reports a write-back error once: the final fsync may not see what an early one saw. */
  @Test
  void aFailureOfAnEarlyFlushIsThrownByAwait() {
    EarlyWriteback writeback = new EarlyWriteback(() -> {
      throw new IOException("Input/output error (early flush)");
    }, 10, "test-flush");

    writeback.written(10);

    assertThatThrownBy(writeback::await).isInstanceOf(IOException.class)
        .hasMessage("Input/output error (early flush)");
  }

  @Test
  void aFlushStillRunningIsNotStartedAgain() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger flushes = new AtomicInteger();
    EarlyWriteback writeback = new EarlyWriteback(() -> {
      flushes.incrementAndGet();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
    }, 10, "test-flush");

    writeback.written(10);
    writeback.written(10);
    writeback.written(10);
    release.countDown();
    writeback.await();

    assertThat(flushes).hasValue(1);
  }
}
