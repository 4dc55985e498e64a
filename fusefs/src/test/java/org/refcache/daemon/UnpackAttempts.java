package org.refcache.daemon;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.refcache.core.cache.CacheManager;
import org.slf4j.LoggerFactory;

/**
 * Counts the layer unpacks the cache manager starts, from its log line {@code "unpacking layer
 * <diffID> ..."}: how a test sees that an access did not unpack again.
 */
final class UnpackAttempts implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(CacheManager.class);

  private UnpackAttempts() {
    appender.start();
    logger.addAppender(appender);
  }

  /** Starts counting. */
  static UnpackAttempts watch() {
    return new UnpackAttempts();
  }

  /** Unpacks of the layer {@code diffId} ({@code sha256:...}) started since {@link #watch()}. */
  long of(String diffId) {
    synchronized (appender) { // the appender appends under its own monitor
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.startsWith("unpacking layer " + diffId + " ")).count();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
