package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.refcache.protocol.ControlProtocol;
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
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    ArrayNode list = a.putArray("ids");
    ids.forEach(list::add);
    a.put("description", description);
    return a;
  }

  @Override
  void printText(JsonNode result) {
    terminal.out().println(result.path("id").asText());
  }
}
