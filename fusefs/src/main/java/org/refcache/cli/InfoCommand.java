package org.refcache.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.refcache.posix.Printable;
import org.refcache.protocol.JsonValue;
import picocli.CommandLine.Command;

/** {@code refcache info ID}: one record, one field per line. */
@Command(name = "info", description = "Show one ref: kind, parents, blob and diffID, times, holders, path, mounts.")
final class InfoCommand extends RefIdCommand {
  InfoCommand(Terminal terminal) {
    super(terminal);
  }

  @Override
  String op() {
    return "info";
  }

  @Override
  void printText(JsonValue result) {
    for (Map.Entry<String, JsonValue> f : result.properties()) {
      JsonValue v = f.getValue();
      if (v.isNull() || (v.isTextual() && v.textValue().isEmpty())) {
        continue;
      }
      String text;
      if (v.isArray()) {
        List<String> items = new ArrayList<>();
        v.forEach(i -> items.add(i.asText()));
        text = String.join(", ", items);
      } else {
        text = v.asText();
      }
      terminal.out().printf("%-15s %s%n", f.getKey() + ":", Printable.text(text));
    }
  }
}
