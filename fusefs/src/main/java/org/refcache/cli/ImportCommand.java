package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache import [--parent ID] [--description TEXT] FILE}: a layer tarball becomes a lazy immutable ref. */
@Command(name = "import", description = "Import a layer tar (plain, gzip or zstd) as an immutable ref (lazy: "
    + "unpacked on first access). Prints the ref ID.")
final class ImportCommand extends ClientCommand {
  @Option(names = "--parent", paramLabel = "ID", description = "The ref this layer goes on top of.")
  String parent;

  @Option(names = "--description", paramLabel = "TEXT", description = "A description shown by ls and info.")
  String description;

  @Parameters(paramLabel = "FILE", description = "The layer tarball; the service reads it by path.")
  String file;


  ImportCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "import";
  }

  @Override
  String plainSyntax() {
    return "--parent=parent --description=description | file";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("file", absolute(file));
    a.put("parent", parent);
    a.put("description", description);
    return a;
  }

  @Override
  void progress(JsonValue p) {
    showProgress(String.format("importing: %d / %d MiB", p.path("bytes").asLong() >> 20, p.path("total").asLong() >> 20));
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
