package org.refcache.cli;

import java.util.List;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache merge [--description TEXT] ID ID...}: a ref stacking the refs' layers in order. */
@Command(name = "merge", description = "Merge refs: a read-only ref whose tree stacks every layer of the refs in "
    + "order (later files win, directories unite, later deletions apply). Metadata only; the union is resolved "
    + "on first access. Held by the service. Prints the ref ID.")
final class MergeCommand extends ClientCommand {
  @Option(names = "--description", paramLabel = "TEXT", description = "A description shown by ls and info.")
  String description;

  @Parameters(paramLabel = "ID", arity = "1..*", description = "The refs, bottom first.")
  List<String> ids;

  MergeCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "merge";
  }

  @Override
  String plainSyntax() {
    return "--description=description | ids...";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    JsonValue list = a.putArray("ids");
    ids.forEach(list::add);
    a.put("description", description);
    return a;
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
