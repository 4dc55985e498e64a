package org.refcache.cli;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.refcache.protocol.JsonValue;
import org.refcache.protocol.Quantities;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code refcache prune [--all] [--filter F]... [--keep-duration D] [--reserved-space S]
 * [--max-used-space S] [--min-free-space S]}: removes unused refs, prints each as it goes and what
 * was reclaimed; with {@code --format json} one document {@code {"removed":[rows...],"result":{...}}}
 * written as the rows come.
 */
@Command(name = "prune", description = {
    "Remove refs nothing holds (refs the service holds or that are bind-mounted, and their parents,",
    "stay), least recently and least frequently used first, then free the data no ref uses any more.",
    "Without a space option every ref the other options allow goes. Prints each removed ref, then",
    "the total reclaimed and what the collection measured it freed."})
final class PruneCommand extends ClientCommand {
  @Option(names = {"-a", "--all"}, description = "Also remove internal and frontend refs.")
  boolean all;

  @Option(names = {"-f", "--filter"}, paramLabel = "FILTER",
      description = "Only refs that match (repeatable, OR-ed; syntax as in refcache du --help).")
  List<String> filters = new ArrayList<>();

  @Option(names = "--keep-duration", paramLabel = "DURATION",
      description = "Keep refs used within this long (48h, 1h30m, 7d; seconds when a plain number).")
  String keepDuration;

  @Option(names = "--reserved-space", paramLabel = "SIZE",
      description = "Never prune the cache below this size (10GB, 512MiB; bytes when a plain number).")
  String reservedSpace;

  @Option(names = "--max-used-space", paramLabel = "SIZE", description = "Prune until the cache takes at most this.")
  String maxUsedSpace;

  @Option(names = "--min-free-space", paramLabel = "SIZE",
      description = "Prune until the state root's filesystem has this much free.")
  String minFreeSpace;

  private UsageTable table;
  private boolean firstJson = true;

  PruneCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "prune";
  }

  @Override
  String plainSyntax() {
    return "-a,--all=all -f,--filter=filters"
        + " --keep-duration=keepDuration"
        + " --reserved-space=reservedSpace"
        + " --max-used-space=maxUsedSpace"
        + " --min-free-space=minFreeSpace";
  }

  @Override
  JsonValue args() throws CliFailure {
    JsonValue a = JsonValue.object();
    a.put("all", all);
    filters.forEach(a.putArray("filter")::add);
    try {
      if (keepDuration != null) {
        a.put("keepDuration", Quantities.duration(keepDuration).toSeconds());
      }
      if (reservedSpace != null) {
        a.put("reservedSpace", Quantities.bytes(reservedSpace));
      }
      if (maxUsedSpace != null) {
        a.put("maxUsedSpace", Quantities.bytes(maxUsedSpace));
      }
      if (minFreeSpace != null) {
        a.put("minFreeSpace", Quantities.bytes(minFreeSpace));
      }
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, e.getMessage());
    }
    table = new UsageTable(terminal.out(), false, Instant.now());
    return a;
  }

  @Override
  void progress(JsonValue p) {
    JsonValue r = p.path("removed");
    if (r.isMissingNode()) {
      return;
    }
    if (client.format == ClientOptions.Format.json) {
      terminal.out().print(firstJson ? "{\"removed\": [\n  " : ",\n  ");
      terminal.out().print(json(r).replace("\n", "\n  "));
      firstJson = false;
      terminal.out().flush();
    } else {
      table.row(r);
    }
  }

  @Override
  void printText(JsonValue result) {
    if (result.path("removed").asLong() > 0) {
      terminal.out().println();
    }
    JsonValue gc = result.path("gc");
    terminal.out().printf("%-14s%d%n", "Removed:", result.path("removed").asLong());
    terminal.out().printf("%-14s%s%n", "Reclaimed:", Quantities.humanBytes(result.path("reclaimed").asLong()));
    terminal.out().printf("%-14s%s (%d blobs, %d layers, %d uppers)%n", "Freed:",
        Quantities.humanBytes(gc.path("freed").asLong()), gc.path("blobs").asLong(), gc.path("layers").asLong(),
        gc.path("uppers").asLong());
    if (result.path("keepBytes").asLong() != 0) {
      terminal.out().printf("%-14s%s%n", "Kept at most:", Quantities.humanBytes(result.path("keepBytes").asLong()));
    }
  }

  @Override
  void printJson(JsonValue result) {
    terminal.out().print(firstJson ? "{\"removed\": []" : "\n], ");
    terminal.out().println((firstJson ? ", " : "") + "\"result\": " + json(result).replace("\n", "\n  ") + "}");
  }
}
