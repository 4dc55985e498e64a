package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache pull [--eager] [--platform P] [--insecure] IMAGE}: a registry image becomes a chain of lazy refs. */
@Command(name = "pull", description = "Pull an image from an OCI registry: the manifest and config now, each layer "
    + "fetched and unpacked when a path in it is first read (lazy), or all of them now with --eager. The service "
    + "reads credentials from $REFCACHE_AUTH_FILE or its ~/.docker/config.json. Prints the top ref's ID.")
final class PullCommand extends TransferCommand {
  @Option(names = "--eager", description = "Fetch and unpack every layer now.")
  boolean eager;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
      description = "The platform to pick from a multi-platform image (default linux/amd64).")
  String platform;

  @Option(names = "--insecure", description = "Reach the registry over plain HTTP (loopback registries always are).")
  boolean insecure;

  @Parameters(paramLabel = "IMAGE", description = "host[:port]/repository[:tag][@digest]")
  String image;

  PullCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "pull";
  }

  @Override
  String plainSyntax() {
    return "--eager=eager --platform=platform --insecure=insecure | image";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("image", image);
    a.put("platform", platform);
    a.put("eager", eager);
    a.put("insecure", insecure);
    return a;
  }

  @Override
  String verb() {
    return "fetching";
  }

  @Override
  void printText(JsonValue result) {
    terminal.out().println(result.path("id").asText());
  }
}
