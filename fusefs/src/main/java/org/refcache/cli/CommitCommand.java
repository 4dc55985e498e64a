package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;

/** {@code refcache commit ID}: the mutable becomes read-only and an immutable twin is held instead. */
@Command(name = "commit", description = "Commit a mutable ref held by the service. Prints the immutable ref ID; "
    + "the mutable's tree turns read-only.")
final class CommitCommand extends RefIdCommand {
  CommitCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "commit";
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
