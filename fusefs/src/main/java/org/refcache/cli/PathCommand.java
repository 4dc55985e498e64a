package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.daemon.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code refcache path ID}: where the ref's tree is, {@code <mountpoint>/refs/<ID>}. */
@Command(name = "path", description = "Print the directory of a ref in the service's mount: <mountpoint>/refs/<ID>.")
final class PathCommand extends ClientCommand {
  @Parameters(paramLabel = "ID", description = "The ref.")
  String id;

  PathCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "path";
  }

  @Override
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    a.put("id", id);
    return a;
  }

  @Override
  void printText(JsonNode result) {
    terminal.out().println(result.path("path").asText());
  }
}
