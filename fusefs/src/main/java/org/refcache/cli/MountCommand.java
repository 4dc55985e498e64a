package org.refcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.refcache.daemon.ControlProtocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache mount [--readonly] ID DIR}: bind-mounts the ref's tree onto DIR. */
@Command(name = "mount", description = "Bind-mount a ref's tree onto a directory, holding the ref while mounted "
    + "(undo with umount). Survives a restart of the service.")
final class MountCommand extends ClientCommand {
  @Option(names = "--readonly", description = "Make the bind mount read-only.")
  boolean readOnly;

  @Parameters(index = "0", paramLabel = "ID", description = "The ref.")
  String id;

  @Parameters(index = "1", paramLabel = "DIR", description = "An existing directory.")
  String dir;

  MountCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "mount";
  }

  @Override
  ObjectNode args() {
    ObjectNode a = ControlProtocol.object();
    a.put("id", id);
    a.put("dir", absolute(dir));
    a.put("readOnly", readOnly);
    return a;
  }

  @Override
  void printText(JsonNode result) {
    // Quiet on success.
  }
}
