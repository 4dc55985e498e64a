package org.refcache.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.refcache.protocol.JsonValue;
import org.refcache.protocol.Quantities;

/**
 * Disk-usage rows as {@code buildctl du} prints them: a table (ID with {@code *} for a mutable,
 * RECLAIMABLE, SIZE with {@code *} when shared, LAST ACCESSED), or with {@code --verbose} one block
 * of fields per row; then the summary.
 */
final class UsageTable {
  private static final String ROW = "%-40s  %-11s  %-12s  %s%n";

  private final PrintWriter out;
  private final boolean verbose;
  private final Instant now;
  private boolean headerShown;

  UsageTable(PrintWriter out, boolean verbose, Instant now) {
    this.out = out;
    this.verbose = verbose;
    this.now = now;
  }

  void row(JsonValue r) {
    if (verbose) {
      block(r);
      return;
    }
    if (!headerShown) {
      out.printf(ROW, "ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED");
      headerShown = true;
    }
    String id = r.path("id").asText() + (r.path("mutable").asBoolean() ? "*" : "");
    String size = Quantities.humanBytes(r.path("size").asLong()) + (r.path("shared").asBoolean() ? "*" : "");
    out.printf(ROW, id, !r.path("inUse").asBoolean(), size, ago(r.path("lastUsedAt")));
    out.flush();
  }

  private void block(JsonValue r) {
    List<String> parents = new ArrayList<>();
    r.path("parents").forEach(p -> parents.add(p.asText()));
    field("ID", r.path("id").asText());
    if (!parents.isEmpty()) {
      field("Parent(s)", String.join(", ", parents));
    }
    if (!r.path("createdAt").isNull() && r.has("createdAt")) {
      field("Created at", r.path("createdAt").asText());
    }
    field("Mutable", String.valueOf(r.path("mutable").asBoolean()));
    field("Reclaimable", String.valueOf(!r.path("inUse").asBoolean()));
    field("Shared", String.valueOf(r.path("shared").asBoolean()));
    field("Size", Quantities.humanBytes(r.path("size").asLong()) + " (" + r.path("size").asLong() + " bytes)");
    if (!r.path("description").asText("").isEmpty()) {
      field("Description", r.path("description").asText());
    }
    field("Usage count", String.valueOf(r.path("usageCount").asInt()));
    if (r.path("lastUsedAt").isTextual()) {
      field("Last used", ago(r.path("lastUsedAt")));
    }
    field("Type", r.path("recordType").asText());
    for (JsonValue verdict : r.path("gc")) {
      field("GC", verdict.asText());
    }
    out.println();
    out.flush();
  }

  private void field(String name, String value) {
    out.printf("%-14s%s%n", name + ":", value);
  }

  private String ago(JsonValue time) {
    if (!time.isTextual()) {
      return "";
    }
    return Quantities.humanDuration(Duration.between(Instant.parse(time.asText()), now)) + " ago";
  }

  /** The summary of a disk-usage answer. */
  void summary(JsonValue totals) {
    long shared = totals.path("shared").asLong();
    if (shared > 0) {
      field("Shared", Quantities.humanBytes(shared));
      field("Private", Quantities.humanBytes(totals.path("private").asLong()));
    }
    field("Reclaimable", Quantities.humanBytes(totals.path("reclaimable").asLong()));
    field("Total", Quantities.humanBytes(totals.path("total").asLong()));
    for (JsonValue rule : totals.path("gcPolicy")) {
      long keep = rule.path("keepBytes").asLong();
      out.printf("GC rule %d: %s; %s%n", rule.path("rule").asInt(), rule.path("description").asText(),
          keep == 0 ? "no size target" : "keeps at most " + Quantities.humanBytes(keep));
    }
  }
}
