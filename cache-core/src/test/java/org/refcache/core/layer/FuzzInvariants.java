package org.refcache.core.layer;

import java.io.IOException;

/** What every fuzz test of a layer reader asks of the code under test. */
final class FuzzInvariants {
  /** A piece of code under test. */
  @FunctionalInterface
  interface Action {
    void run() throws IOException;
  }

  private FuzzInvariants() {
  }

  /**
   * Runs {@code action}, which may fail only with an {@link IOException} that says what failed: any
   * other throwable (a runtime exception, an error such as OutOfMemoryError) propagates and is a
   * finding, and so is an IOException without a message.
   *
   * @return whether {@code action} completed (false: it refused with an IOException)
   */
  static boolean completesOrRefuses(Action action) {
    try {
      action.run();
      return true;
    } catch (IOException refused) {
      String message = refused.getMessage();
      if (message == null || message.isBlank()) {
        throw new AssertionError("an IOException without a message: " + refused, refused);
      }
      return false;
    }
  }
}
