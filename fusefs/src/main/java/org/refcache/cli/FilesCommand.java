package org.refcache.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Base64;
import org.refcache.posix.Printable;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code refcache files ID}: the names in a ref's own layer, one per line, escaped for people
 * ({@link Printable}: a newline or an escape sequence in a name cannot break the list or the
 * terminal). {@code -z} prints the exact bytes of each name ended by a NUL, for scripts;
 * {@code --format json} the names as JSON strings (UTF-8; bytes that are not UTF-8 become U+FFFD).
 */
@Command(name = "files", description = "List the names in a ref's own layer blob (its changes, whiteouts "
    + "included), sorted, one per line; control characters, backslashes and bytes that are not UTF-8 are "
    + "shown escaped (\\n, \\\\, \\xNN).")
final class FilesCommand extends RefIdCommand {
  @Option(names = {"-z", "--null"},
      description = "Print each name exactly as the layer has it, followed by a NUL byte (for xargs -0).")
  boolean nul;

  FilesCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "files";
  }

  @Override
  String plainSyntax() {
    return "-z,--null=nul | id";
  }

  @Override
  JsonValue args() throws CliFailure {
    JsonValue a = super.args();
    if (nul && client.format == ClientOptions.Format.json) {
      throw new CliFailure(2, "-z and --format json exclude each other");
    }
    if (client.format != ClientOptions.Format.json) {
      // The exact bytes: -z prints them, the text form escapes what is not printable UTF-8.
      a.put("encoding", "base64");
    }
    return a;
  }

  @Override
  void print(JsonValue result) throws CliFailure {
    if (!nul) {
      super.print(result);
      return;
    }
    terminal.out().flush();
    OutputStream out = terminal.stdout();
    try {
      for (JsonValue name : result) {
        out.write(bytes(name));
        out.write(0);
      }
      out.flush();
    } catch (IOException e) {
      throw new CliFailure(1, "writing the names failed: " + e.getMessage());
    }
  }

  @Override
  void printText(JsonValue result) {
    result.forEach(name -> terminal.out().println(Printable.bytes(bytes(name))));
  }

  private static byte[] bytes(JsonValue base64) {
    return Base64.getDecoder().decode(base64.asText());
  }
}
