package org.refcache.testing;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Teardown of what a test started: daemons before the registry they pull from, and so on. */
public final class Resources {

  private Resources() {
  }

  /**
   * Closes every non-null resource in the order given, even when one fails: a test that started a
   * registry and two daemons must stop all three (a daemon left running keeps its FUSE mount). The
   * first failure is thrown once all were tried, with the later ones suppressed in it.
   */
  public static void closeAll(AutoCloseable... resources) throws IOException {
    Exception first = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (first != null) {
      throw new UncheckedIOException(new IOException("closing a test resource failed", first));
    }
  }
}
