package org.refcache.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.protocol.ControlProtocol;
import picocli.CommandLine.Parameters;

/** A subcommand whose whole request is one ref ID ({@code {"id": ID}}). */
abstract class RefIdCommand extends ClientCommand {
  @Parameters(paramLabel = "ID", description = "The ref.")
  String id;

  RefIdCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  ObjectNode args() throws CliFailure {
    ObjectNode a = ControlProtocol.object();
    a.put("id", id);
    return a;
  }
}
