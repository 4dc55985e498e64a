package org.refcache.cli;

import java.io.PrintWriter;
import org.refcache.posix.Printable;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;

/** {@code refcache ls}: every record, one line each. */
@Command(name = "ls", description = "List every ref: ID, type, kind, whether the service holds it, whether it is "
    + "still lazy, creation time, description.")
final class LsCommand extends ClientCommand {
  private static final String ROW = "%-25s  %-9s  %-10s  %-4s  %-4s  %-20s  %s%n";
  private long rows;

  LsCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "ls";
  }

  @Override
  String plainSyntax() {
    return "";
  }

  @Override
  JsonValue args() {
    return JsonValue.object();
  }

  /** immutable, mutable, or committed (a mutable whose committed twin still exists). */
  private static String type(JsonValue r) {
    if (!r.path("mutable").asBoolean()) {
      return "immutable";
    }
    return r.path("equalImmutable").isTextual() ? "committed" : "mutable";
  }

  /** Each ref comes as a progress line: printed as it comes (a large cache is never one answer). */
  @Override
  void progress(JsonValue p) {
    JsonValue r = p.path("ref");
    if (r.isMissingNode()) {
      return;
    }
    PrintWriter out = terminal.out();
    if (client.format == ClientOptions.Format.json) {
      out.print(rows == 0 ? "[\n" : ",\n");
      out.print("  " + json(r).replace("\n", "\n  "));
    } else {
      if (rows == 0) {
        out.printf(ROW, "ID", "TYPE", "KIND", "HELD", "LAZY", "CREATED", "DESCRIPTION");
      }
      String created = r.path("createdAt").asText("");
      if (created.length() > 19) {
        created = created.substring(0, 19) + "Z";
      }
      out.printf(ROW, Printable.text(r.path("id").asText()), type(r),
          r.path("kind").asText(), r.path("held").asBoolean() ? "yes" : "no", r.path("lazy").asBoolean() ? "yes" : "no",
          Printable.text(created), Printable.text(r.path("description").asText("")));
    }
    rows++;
  }

  @Override
  void printText(JsonValue result) {
    if (rows == 0) {
      terminal.out().printf(ROW, "ID", "TYPE", "KIND", "HELD", "LAZY", "CREATED", "DESCRIPTION");
    }
  }

  @Override
  void printJson(JsonValue result) {
    terminal.out().println(rows == 0 ? "[]" : "\n]");
  }
}
