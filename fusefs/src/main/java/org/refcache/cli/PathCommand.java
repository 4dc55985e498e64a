package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;

/** {@code refcache path ID}: where the ref's tree is, {@code <mountpoint>/refs/<ID>}. */
@Command(name = "path", description = "Print the directory of a ref in the service's mount: <mountpoint>/refs/<ID>.")
final class PathCommand extends RefIdCommand {
  PathCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "path";
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("path").asText());
  }
}
