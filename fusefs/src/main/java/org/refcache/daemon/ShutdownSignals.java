package org.refcache.daemon;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * The one place the service learns it must stop: SIGTERM (systemd's stop) and SIGINT (Ctrl-C in a
 * foreground run) release {@link #await()} instead of ending the JVM, so the service shuts down in order
 * and exits 0. {@code sun.misc.Signal} (module {@code jdk.unsupported}) is the supported way to replace
 * a signal's default action; a shutdown hook would race the JVM's own teardown.
 */
public final class ShutdownSignals {
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile String received;

  private ShutdownSignals() {}

  /** Installs the handlers for TERM and INT; install once per process, before the service starts. */
  public static ShutdownSignals install() {
    ShutdownSignals s = new ShutdownSignals();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), sig -> s.trigger("SIG" + sig.getName()));
    }
    return s;
  }

  private void trigger(String why) {
    if (received == null) {
      received = why;
    }
    stop.countDown();
  }

  /** Blocks until a stop signal arrives and returns its name ({@code "SIGTERM"}). */
  public String await() throws InterruptedException {
    stop.await();
    return received;
  }
}
