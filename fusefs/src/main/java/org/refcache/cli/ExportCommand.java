package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache export [--compression C] ID DIR[:TAG]}: a ref as an image in an OCI image layout. */
@Command(name = "export", description = "Write a ref as an image into an OCI image layout (index, manifest, config "
    + "with diff IDs and history, layer blobs), tagged TAG (default latest); the directory is created, or must be "
    + "a layout or empty. Layers without a blob get one. Prints the manifest digest.")
final class ExportCommand extends ClientCommand {
  /** The compressions the service knows, as typed. */
  enum CompressionName { gzip, zstd, uncompressed }

  @Option(names = "--compression", paramLabel = "C", description = "Every layer in C (gzip, zstd or uncompressed): "
      + "existing blobs are converted. Without it, existing blobs are written as they are and new ones gzip.")
  CompressionName compression;

  @Parameters(index = "0", paramLabel = "ID", description = "The ref.")
  String id;

  @Parameters(index = "1", paramLabel = "DIR[:TAG]", description = "The layout directory, and the tag.")
  String target;


  ExportCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "export";
  }

  @Override
  String plainSyntax() {
    return "--compression=compression | id target";
  }

  @Override
  JsonValue args() throws CliFailure {
    LayoutArgument layout = LayoutArgument.parse(target);
    JsonValue a = JsonValue.object();
    a.put("id", id);
    a.put("dir", layout.path());
    a.put("tag", layout.tag());
    a.put("compression", compression == null ? null : compression.name());
    return a;
  }

  @Override
  void progress(JsonValue p) {
    showProgress(String.format("exporting: layer %d / %d", p.path("layer").asInt(), p.path("layers").asInt()));
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("manifest").asText());
  }
}
