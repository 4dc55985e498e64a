package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache push [--compression C] [--insecure] ID IMAGE}: a ref's layers as an image in an OCI registry. */
@Command(name = "push", description = "Push a ref as an image to an OCI registry: its layer blobs (made when it has "
    + "none; skipped when the registry has them, mounted from the repository they were pulled from in the same "
    + "registry), then a config and the manifest. The service reads credentials from $REFCACHE_AUTH_FILE or its "
    + "~/.docker/config.json. Prints the manifest's digest.")
final class PushCommand extends TransferCommand {
  @Option(names = "--compression", paramLabel = "gzip|zstd|uncompressed",
      description = "Every layer in this compression (converted when needed); default: blobs as they are, new ones gzip.")
  String compression;

  @Option(names = "--insecure", description = "Reach the registry over plain HTTP (loopback registries always are).")
  boolean insecure;

  @Parameters(index = "0", paramLabel = "ID", description = "The ref.")
  String id;

  @Parameters(index = "1", paramLabel = "IMAGE", description = "host[:port]/repository[:tag]")
  String image;

  PushCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "push";
  }

  @Override
  String plainSyntax() {
    return "--compression=compression --insecure=insecure | id image";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("id", id);
    a.put("image", image);
    a.put("compression", compression);
    a.put("insecure", insecure);
    return a;
  }

  @Override
  String verb() {
    return "pushing";
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("digest").asText());
  }
}
