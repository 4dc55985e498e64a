package org.refcache.daemon;

import org.refcache.protocol.Quantities;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.refcache.core.cache.PruneOptions;
import org.refcache.core.cache.UsageFilter;

/**
 * The automatic garbage collection of the daemon (spec 4.5, like buildkitd's): an ordered list of
 * rules, each a prune, run one after the other every {@link #interval} and once {@link #afterImports}
 * bytes were imported since the last run (at most once every {@link #minInterval}, a minute by
 * default, as buildkitd throttles). From the {@code [gc]} table of the
 * configuration file ({@code /etc/refcache/refcache.toml}, or {@code --config}):
 *
 * <pre>
 * [gc]
 * enabled = true            # default true
 * interval = "1h"           # default 1h
 * after-imports = "1GB"     # default 1GB; "0" never
 * min-interval = "1m"       # runs after imports come at most this often (default 1m)
 *
 * [[gc.rule]]               # none: buildkitd's four default rules
 * all = false
 * filters = ["type==source.local", "type==exec.cachemount"]
 * keep-duration = "48h"
 * reserved-space = "10%, 10GB"   # bytes, a % of the root's filesystem, or both: the smaller
 * max-used-space = "512MB"
 * min-free-space = "20%"
 * </pre>
 *
 * Without a configuration file, there is no automatic collection (only {@code refcache prune}).
 *
 * @param source where it came from (a path, or "defaults")
 */
public record GcPolicy(boolean enabled, Duration interval, long afterImports, Duration minInterval, List<Rule> rules,
    String source) {
  /** The default configuration file. */
  public static final Path DEFAULT_FILE = Path.of("/etc/refcache/refcache.toml");
  /** No automatic collection. */
  public static final GcPolicy OFF = new GcPolicy(false, Duration.ofHours(1), 0, Duration.ofMinutes(1), List.of(),
      "none");

  /** One prune of the policy; sizes resolved against the root's filesystem when it runs. */
  public record Rule(boolean all, List<String> filters, Duration keepDuration, SpaceLimit reservedSpace,
      SpaceLimit maxUsedSpace, SpaceLimit minFreeSpace) {
    public Rule {
      filters = List.copyOf(filters);
      UsageFilter.parse(filters); // refused now, not at the first run
    }

    /** The prune this rule is on a filesystem of {@code filesystemBytes}. */
    public PruneOptions options(long filesystemBytes) {
      return new PruneOptions(all, UsageFilter.parse(filters), keepDuration, reservedSpace.resolve(filesystemBytes),
          maxUsedSpace.resolve(filesystemBytes), minFreeSpace.resolve(filesystemBytes));
    }

    @Override
    public String toString() {
      List<String> parts = new ArrayList<>();
      if (all) {
        parts.add("all");
      }
      if (!filters.isEmpty()) {
        parts.add("filters " + String.join(" OR ", filters));
      }
      if (!keepDuration.isZero()) {
        parts.add("keep " + keepDuration.toString().substring(2).toLowerCase());
      }
      if (!reservedSpace.equals(SpaceLimit.NONE)) {
        parts.add("reserved " + reservedSpace);
      }
      if (!maxUsedSpace.equals(SpaceLimit.NONE)) {
        parts.add("max used " + maxUsedSpace);
      }
      if (!minFreeSpace.equals(SpaceLimit.NONE)) {
        parts.add("min free " + minFreeSpace);
      }
      return parts.isEmpty() ? "everything unused" : String.join(", ", parts);
    }
  }

  private static final SpaceLimit RESERVED = new SpaceLimit(10_000_000_000L, 10);
  private static final SpaceLimit MAX_USED = new SpaceLimit(100_000_000_000L, 80);
  private static final SpaceLimit MIN_FREE = new SpaceLimit(0, 20);

  /**
   * buildkitd's default rules: reproducible data (local sources, cache mounts, git checkouts)
   * unused for 48 h once it takes over 512 MB; anything unused for 60 days; then anything, to the
   * space limits; then internal and frontend records too. (buildkitd writes the first filter as one
   * string, whose commas AND three types no record has at once; here they are OR-ed, as meant.)
   */
  public static List<Rule> defaultRules() {
    return List.of(
        new Rule(false, List.of("type==source.local", "type==exec.cachemount", "type==source.git.checkout"),
            Duration.ofHours(48), SpaceLimit.NONE, new SpaceLimit(512_000_000L, 0), SpaceLimit.NONE),
        new Rule(false, List.of(), Duration.ofDays(60), RESERVED, MAX_USED, MIN_FREE),
        new Rule(false, List.of(), Duration.ZERO, RESERVED, MAX_USED, MIN_FREE),
        new Rule(true, List.of(), Duration.ZERO, RESERVED, MAX_USED, MIN_FREE));
  }

  /**
   * The policy a daemon runs: from {@code file} when given (it must exist), else from
   * {@link #DEFAULT_FILE} when it exists, else {@link #OFF}.
   *
   * @throws IllegalArgumentException naming the file, the key and what is wrong
   */
  public static GcPolicy load(Path file) throws IOException {
    Path f = file != null ? file : DEFAULT_FILE;
    String text;
    try {
      text = Files.readString(f);
    } catch (NoSuchFileException e) {
      if (file != null) {
        throw new IllegalArgumentException("configuration file " + file + " does not exist");
      }
      return OFF;
    }
    return parse(text, f.toString());
  }

  /** The policy in TOML {@code text} (from {@code source}). */
  public static GcPolicy parse(String text, String source) {
    JsonNode doc;
    try {
      doc = new TomlMapper().readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": not valid TOML: " + e.getMessage());
    }
    only(doc, Set.of("gc"), source, "");
    JsonNode gc = doc.path("gc");
    if (gc.isMissingNode()) {
      return new GcPolicy(false, Duration.ofHours(1), 0, Duration.ofMinutes(1), List.of(), source);
    }
    if (!gc.isObject()) {
      throw new IllegalArgumentException(source + ": gc must be a table");
    }
    only(gc, Set.of("enabled", "interval", "after-imports", "min-interval", "rule"), source, "gc.");
    boolean enabled = bool(gc, "enabled", true, source, "gc.");
    Duration interval = duration(gc, "interval", Duration.ofHours(1), source, "gc.");
    if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(source + ": gc.interval must be at least 1s");
    }
    long afterImports = gc.has("after-imports") ? bytes(gc, "after-imports", source, "gc.") : 1_000_000_000L;
    Duration minInterval = duration(gc, "min-interval", Duration.ofMinutes(1), source, "gc.");
    List<Rule> rules = new ArrayList<>();
    JsonNode list = gc.path("rule");
    if (!list.isMissingNode()) {
      if (!list.isArray()) {
        throw new IllegalArgumentException(source + ": gc.rule must be an array of tables ([[gc.rule]])");
      }
      for (int i = 0; i < list.size(); i++) {
        rules.add(rule(list.get(i), source, "gc.rule[" + (i + 1) + "]."));
      }
    }
    return new GcPolicy(enabled, interval, afterImports, minInterval, rules.isEmpty() ? defaultRules() : rules,
        source);
  }

  private static Rule rule(JsonNode r, String source, String at) {
    if (!r.isObject()) {
      throw new IllegalArgumentException(source + ": " + at + " must be a table");
    }
    only(r, Set.of("all", "filters", "keep-duration", "reserved-space", "max-used-space", "min-free-space"),
        source, at);
    List<String> filters = new ArrayList<>();
    JsonNode f = r.path("filters");
    if (!f.isMissingNode()) {
      if (!f.isArray()) {
        throw new IllegalArgumentException(source + ": " + at + "filters must be a list of strings");
      }
      f.forEach(x -> filters.add(x.asText()));
    }
    try {
      return new Rule(bool(r, "all", false, source, at), filters, duration(r, "keep-duration", Duration.ZERO, source, at),
          space(r, "reserved-space", source, at), space(r, "max-used-space", source, at),
          space(r, "min-free-space", source, at));
    } catch (org.refcache.core.cache.InvalidFilterException e) {
      throw new IllegalArgumentException(source + ": " + at + "filters: " + e.getMessage());
    }
  }

  private static void only(JsonNode table, Set<String> keys, String source, String at) {
    for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
      String k = it.next().getKey();
      if (!keys.contains(k)) {
        throw new IllegalArgumentException(source + ": unknown key " + at + k + " (known: " + String.join(", ",
            keys.stream().sorted().toList()) + ")");
      }
    }
  }

  private static boolean bool(JsonNode t, String key, boolean dflt, String source, String at) {
    JsonNode v = t.path(key);
    if (v.isMissingNode()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw new IllegalArgumentException(source + ": " + at + key + " must be true or false");
    }
    return v.booleanValue();
  }

  private static Duration duration(JsonNode t, String key, Duration dflt, String source, String at) {
    JsonNode v = t.path(key);
    if (v.isMissingNode()) {
      return dflt;
    }
    try {
      return Quantities.duration(v.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + at + key + ": " + e.getMessage());
    }
  }

  private static long bytes(JsonNode t, String key, String source, String at) {
    try {
      return Quantities.bytes(t.path(key).asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + at + key + ": " + e.getMessage());
    }
  }

  private static SpaceLimit space(JsonNode t, String key, String source, String at) {
    JsonNode v = t.path(key);
    if (v.isMissingNode()) {
      return SpaceLimit.NONE;
    }
    try {
      return SpaceLimit.parse(v.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + at + key + ": " + e.getMessage());
    }
  }
}
