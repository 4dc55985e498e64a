package org.refcache.cli;

import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code refcache mount [--readonly] [--suid] [--dev] ID DIR}: bind-mounts the ref's tree onto DIR. */
@Command(name = "mount", description = "Bind-mount a ref's tree onto a directory, holding the ref while mounted "
    + "(undo with umount). Survives a restart of the service. The mount is nosuid,nodev unless asked otherwise.")
final class MountCommand extends ClientCommand {
  @Option(names = "--readonly", description = "Make the bind mount read-only.")
  boolean readOnly;

  @Option(names = "--suid", description = "Let setuid and setgid programs in the ref run with their owner's rights "
      + "through this mount (e.g. a container's root file system). Anyone who can reach DIR could then run a "
      + "setuid-root program from a layer as root.")
  boolean setuid;

  @Option(names = "--dev", description = "Let device nodes in the ref be opened through this mount. Anyone who can "
      + "reach DIR could then open the device a node from a layer names, as its mode allows.")
  boolean devices;

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
  String plainSyntax() {
    return "--readonly=readOnly --suid=setuid --dev=devices | id dir";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("id", id);
    a.put("dir", absolute(dir));
    a.put("readOnly", readOnly);
    a.put("setuid", setuid);
    a.put("devices", devices);
    return a;
  }

  @Override
  void printText(JsonValue result) {
    // Quiet on success.
  }
}
