package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.daemon.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code refcache release ID}: the service drops its handle. */
@Command(name = "release", description = "Drop the service's handle to a ref. A mutable ref goes with it unless "
    + "it was made with --retain.")
final class ReleaseCommand extends ClientCommand {
  @Parameters(paramLabel = "ID", description = "The ref.")
  String id;

  ReleaseCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "release";
  }

  @Override
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    a.put("id", id);
    return a;
  }

  @Override
  void printText(JsonNode result) {
    // Quiet on success.
  }
}
