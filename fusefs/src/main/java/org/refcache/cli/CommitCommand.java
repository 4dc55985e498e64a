package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.daemon.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code refcache commit ID}: the mutable becomes read-only and an immutable twin is held instead. */
@Command(name = "commit", description = "Commit a mutable ref held by the service. Prints the immutable ref ID; "
    + "the mutable's tree turns read-only.")
final class CommitCommand extends ClientCommand {
  @Parameters(paramLabel = "ID", description = "The mutable ref.")
  String id;

  CommitCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "commit";
  }

  @Override
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    a.put("id", id);
    return a;
  }

  @Override
  void printText(JsonNode result) {
    terminal.out().println(result.path("id").asText());
  }
}
