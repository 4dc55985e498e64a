package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;

/** {@code refcache release ID}: the service drops its handle. */
@Command(name = "release", description = "Drop the service's handle to a ref. A mutable ref goes with it unless "
    + "it was made with --retain.")
final class ReleaseCommand extends RefIdCommand {
  ReleaseCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "release";
  }

  @Override
  void printText(JsonValue result) {
    // Quiet on success.
  }
}
