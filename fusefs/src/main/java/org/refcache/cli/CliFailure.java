package org.refcache.cli;

/** Ends a command with a message on stderr and an exit status. */
final class CliFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  CliFailure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
