package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

/** {@code refcache files ID}: the names in a ref's own layer, one per line. */
@Command(name = "files", description = "List the names in a ref's own layer blob (its changes, whiteouts "
    + "included), sorted, one per line.")
final class FilesCommand extends RefIdCommand {
  FilesCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "files";
  }

  @Override
  void printText(JsonNode result) {
    result.forEach(name -> terminal.out().println(name.asText()));
  }
}
