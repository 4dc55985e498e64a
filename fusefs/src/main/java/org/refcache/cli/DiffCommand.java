package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache diff [--description TEXT] LOWER UPPER}: the changes from one ref's tree to another's. */
@Command(name = "diff", description = "Diff two refs: a read-only ref holding the changes that turn LOWER's tree "
    + "into UPPER's (its tree shows what was added or changed; as a merge input its deletions apply too). "
    + "Metadata only; worked out on first access. Held by the service. Prints the ref ID.")
final class DiffCommand extends ClientCommand {
  @Option(names = "--description", paramLabel = "TEXT", description = "A description shown by ls and info.")
  String description;

  @Parameters(index = "0", paramLabel = "LOWER", description = "The ref changed from.")
  String lower;

  @Parameters(index = "1", paramLabel = "UPPER", description = "The ref changed to.")
  String upper;

  DiffCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "diff";
  }

  @Override
  String plainSyntax() {
    return "--description=description | lower upper";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("lower", lower);
    a.put("upper", upper);
    a.put("description", description);
    return a;
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
