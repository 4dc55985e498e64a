package org.refcache.core.cache;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The cache manager's log, captured from {@link #start()} to {@link #close()}: how tests count
 * the layers the manager unpacked (its "unpacking layer" line) and read what it warned about.
 */
final class UnpackLog implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private UnpackLog() {
  }

  static UnpackLog start() {
    UnpackLog log = new UnpackLog();
    log.appender.start();
    logger().addAppender(log.appender);
    return log;
  }

  private static Logger logger() {
    return (Logger) LoggerFactory.getLogger(CacheManager.class);
  }

  /** How often the manager started to unpack the layer of {@code diffId} (digest text). */
  long unpacks(Object diffId) {
    String line = "unpacking layer " + diffId + " ";
    return events().stream().filter(e -> e.getFormattedMessage().startsWith(line)).count();
  }

  /** What was logged so far. */
  List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  @Override
  public void close() {
    logger().detachAppender(appender);
  }
}
