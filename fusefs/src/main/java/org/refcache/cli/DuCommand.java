package org.refcache.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code refcache du [--verbose] [--filter F]... [--format json]}: disk usage, one row per ref plus
 * the service's own files, printed as the service sends them (in ID order: the answer is never
 * held whole, on either side).
 */
@Command(name = "du", description = {
    "Show disk usage: one row per ref (a mutable marked *, a size shared with other refs marked *),",
    "then one row per kind of the service's own files (service:metadata, service:ingest,",
    "service:scratch, service:open-files, service:unreferenced), so that the sizes add up to what the",
    "state root takes on disk. Sizes are allocated blocks; a blob or layer several refs share is",
    "counted once, split between them. With --format json: an array of rows with BuildKit's fields."})
final class DuCommand extends ClientCommand {
  @Option(names = {"-v", "--verbose"}, description = "Every field of every row, and with a GC policy whether "
      + "each of its rules would let the ref go (or why not), and each rule's size target.")
  boolean verbose;

  @Option(names = {"-f", "--filter"}, paramLabel = "FILTER", description = {
      "Only rows that match (repeatable: OR-ed; commas inside one: AND-ed), BuildKit's syntax:",
      "field==value, field!=value, field~=regex, or a field alone (it is set). Fields: id, parents,",
      "description, type, inuse, mutable, immutable, shared, private. Service rows show only without."})
  List<String> filters = new ArrayList<>();

  private UsageTable table;
  private boolean firstJson = true;

  DuCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "du";
  }

  @Override
  String plainSyntax() {
    return "-v,--verbose=verbose -f,--filter=filters";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    filters.forEach(a.putArray("filter")::add);
    a.put("verbose", verbose);
    table = new UsageTable(terminal.out(), verbose, Instant.now());
    return a;
  }

  @Override
  void progress(JsonValue p) {
    JsonValue r = p.path("record");
    if (r.isMissingNode()) {
      return;
    }
    if (client.format == ClientOptions.Format.json) {
      terminal.out().print(firstJson ? "[\n" : ",\n");
      terminal.out().print(indent(json(r)));
      firstJson = false;
      terminal.out().flush();
    } else {
      table.row(r);
    }
  }

  @Override
  void printText(JsonValue totals) {
    if (!verbose && totals.path("rows").asLong() > 0) {
      terminal.out().println();
    }
    table.summary(totals);
  }

  @Override
  void printJson(JsonValue totals) {
    terminal.out().println(firstJson ? "[]" : "\n]");
  }

  private static String indent(String json) {
    return "  " + json.replace("\n", "\n  ");
  }
}
