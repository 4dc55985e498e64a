package org.refcache.cli;

import org.refcache.protocol.JsonValue;
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
  String plainSyntax() {
    return "| dir";
  }

  @Override
  JsonValue args() {
    JsonValue a = JsonValue.object();
    a.put("dir", absolute(dir));
    return a;
  }

  @Override
  void printText(JsonValue result) {
    // Quiet on success.
  }
}
