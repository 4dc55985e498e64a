package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.protocol.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code refcache umount DIR}: undoes {@code refcache mount}. */
@Command(name = "umount", description = "Unmount a directory mounted with 'refcache mount' and release its ref.")
final class UmountCommand extends ClientCommand {
  @Parameters(paramLabel = "DIR", description = "The directory.")
  String dir;

  UmountCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "umount";
  }

  @Override
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    a.put("dir", absolute(dir));
    return a;
  }

  @Override
  void printText(JsonNode result) {
    // Quiet on success.
  }
}
