package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Parameters;

/** A subcommand whose whole request is one ref ID ({@code {"id": ID}}). */
abstract class RefIdCommand extends ClientCommand {
  @Parameters(paramLabel = "ID", description = "The ref.")
  String id;

  RefIdCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String plainSyntax() {
    return "| id";
  }

  @Override
  JsonValue args() throws CliFailure {
    JsonValue a = JsonValue.object();
    a.put("id", id);
    return a;
  }
}
