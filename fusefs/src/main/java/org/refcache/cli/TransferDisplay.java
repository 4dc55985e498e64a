package org.refcache.cli;

import java.util.HashMap;
import java.util.Map;
import org.refcache.protocol.JsonValue;

/**
 * Shows the blob transfers of a pull or push on a terminal, one line per layer blob: bytes so far,
 * its size and the rate since it began, redrawn in place while it moves and kept when it ends. Shows
 * nothing when the command does not run on a terminal.
 */
final class TransferDisplay {
  private final Terminal terminal;
  private final String verb;
  private final Map<String, Long> startedAt = new HashMap<>();
  private String current;

  TransferDisplay(Terminal terminal, String verb) {
    this.terminal = terminal;
    this.verb = verb;
  }

  /** One progress line from the service: {@code {"blob", "bytes", "total", "done"}}. */
  void show(JsonValue p) {
    if (!terminal.interactive() || !p.has("blob")) {
      return;
    }
    String blob = p.path("blob").asText();
    long bytes = p.path("bytes").asLong();
    long total = p.path("total").asLong();
    boolean done = p.path("done").asBoolean();
    long now = System.nanoTime();
    long since = startedAt.computeIfAbsent(blob, b -> now);
    if (current != null && !current.equals(blob)) {
      terminal.err().println();
    }
    current = blob;
    double seconds = Math.max(1e-3, (now - since) / 1e9);
    terminal.err().printf("\r%s %s: %s / %s  %s/s%s", verb, shortDigest(blob), size(bytes), size(total),
        size((long) (bytes / seconds)), done ? "  done" : "");
    if (done) {
      terminal.err().println();
      current = null;
    }
    terminal.err().flush();
  }

  /** Ends a line left open. */
  void end() {
    if (current != null) {
      terminal.err().println();
      terminal.err().flush();
      current = null;
    }
  }

  private static String shortDigest(String digest) {
    int colon = digest.indexOf(':');
    String hex = colon < 0 ? digest : digest.substring(colon + 1);
    return hex.length() > 12 ? hex.substring(0, 12) : hex;
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format("%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1024L * 1024 * 1024) {
      return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    }
    return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  }
}
