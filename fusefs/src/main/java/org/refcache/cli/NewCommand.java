package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code refcache new [--parent ID] [--description TEXT] [--retain]}: a mutable ref held by the service. */
@Command(name = "new", description = "Create a mutable ref (copy-on-write over its parent), held by the service "
    + "until commit or release. Prints the ref ID.")
final class NewCommand extends ClientCommand {
  @Option(names = "--parent", paramLabel = "ID", description = "The immutable ref to write over.")
  String parent;

  @Option(names = "--description", paramLabel = "TEXT", description = "A description shown by ls and info.")
  String description;

  @Option(names = "--retain", description = "Keep the ref when its handle is released (cache policy retain).")
  boolean retain;

  NewCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "new";
  }

  @Override
  String plainSyntax() {
    return "--parent=parent --description=description --retain=retain";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("parent", parent);
    a.put("description", description);
    a.put("retain", retain);
    return a;
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
