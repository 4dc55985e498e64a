package org.refcache.core.remote;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently the client tries again.
 *
 * <p>A request that fails to connect, breaks before its answer, or is answered 5xx or 429 is sent
 * again up to {@code maxAttempts} times in all, waiting between attempts with exponential backoff
 * from {@code initialBackoff}, doubling up to {@code maxBackoff}, each wait drawn at random from its
 * upper half so that clients that failed together do not return together. A {@code Retry-After}
 * the registry sends is honoured up to {@code maxBackoff}.
 *
 * <p>A blob transfer that breaks after bytes arrived is resumed with a {@code Range} request from the
 * byte reached, at most {@code maxResumes} times per blob, with the same backoff.
 *
 * @param maxAttempts attempts per request, at least 1
 * @param initialBackoff the first wait
 * @param maxBackoff the longest wait
 * @param maxResumes resumptions of one blob transfer, at least 0
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, int maxResumes) {
  /** 5 attempts, 200 ms doubling to 10 s, 5 resumptions. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10), 5);

  /** Validates. */
  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (maxResumes < 0) {
      throw new IllegalArgumentException("maxResumes must not be negative, got " + maxResumes);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("backoff must satisfy 0 <= initial <= max, got " + initialBackoff
          + " and " + maxBackoff);
    }
  }

  /** The wait before attempt {@code failures + 1}, after {@code failures} failures (1 or more). */
  Duration backoff(int failures) {
    long initial = initialBackoff.toMillis();
    long max = maxBackoff.toMillis();
    long upper = initial;
    for (int i = 1; i < failures && upper < max; i++) {
      upper *= 2;
    }
    upper = Math.min(upper, max);
    long half = upper / 2;
    return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(upper - half + 1));
  }

  /** The wait a {@code Retry-After} asks for, capped at {@code maxBackoff}; {@code fallback} when there is none. */
  Duration retryAfter(String header, Duration fallback) {
    if (header == null) {
      return fallback;
    }
    try {
      long seconds = Long.parseLong(header.trim());
      Duration asked = Duration.ofSeconds(Math.max(0, seconds));
      return asked.compareTo(maxBackoff) > 0 ? maxBackoff : asked;
    } catch (NumberFormatException e) {
      return fallback; // an HTTP date: rare from registries, the backoff is as good
    }
  }

  /** Sleeps for {@code d}; an interrupt ends the wait and is kept, and the operation fails. */
  static void sleep(Duration d) throws java.io.InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting to try again");
    }
  }
}
