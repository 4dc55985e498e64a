package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
  void printText(JsonNode result) {
    // Quiet on success.
  }
}
