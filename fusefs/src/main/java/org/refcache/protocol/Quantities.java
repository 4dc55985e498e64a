package org.refcache.protocol;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as operators write them ({@code refcache prune}, the GC policy): sizes in
 * bytes with SI ({@code 10GB} = 10 000 000 000) or IEC ({@code 512MiB} = 512 × 2<sup>20</sup>)
 * units ({@code 512Mi} too), a plain number being bytes; durations as Go writes them ({@code 48h}, {@code 1h30m},
 * {@code 90s}, {@code 500ms}) plus days ({@code 7d}), a plain number being seconds. And sizes and
 * ages back as people read them.
 */
public final class Quantities {
  private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([kmgtp]?i?b?)?");
  private static final Pattern DURATION_PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d|w)");
  private static final String[] IEC = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

  private Quantities() {}

  /**
   * Bytes of a size such as {@code 10GB}, {@code 512MiB}, {@code 1.5G} or {@code 1048576}.
   *
   * @throws IllegalArgumentException naming the text and showing what is understood
   */
  public static long bytes(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: '" + text + "' (examples: 10GB, 512MiB, 1048576)");
    }
    String unit = m.group(2) == null ? "" : m.group(2);
    double n = Double.parseDouble(m.group(1));
    if (unit.equals("i") || unit.equals("ib")) {
      throw new IllegalArgumentException("not a size: '" + text + "' (examples: 10GB, 512MiB, 1048576)");
    }
    int power = unit.isEmpty() || unit.equals("b") ? 0 : "kmgtp".indexOf(unit.charAt(0)) + 1;
    double base = unit.contains("i") ? 1024 : 1000;
    double bytes = n * Math.pow(base, power);
    if (bytes > Long.MAX_VALUE) {
      throw new IllegalArgumentException("size too large: '" + text + "'");
    }
    return Math.round(bytes);
  }

  /**
   * A duration such as {@code 48h}, {@code 1h30m}, {@code 7d} or {@code 3600} (seconds).
   *
   * @throws IllegalArgumentException naming the text and showing what is understood
   */
  public static Duration duration(String text) {
    String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
    if (t.matches("[0-9]+")) {
      return Duration.ofSeconds(Long.parseLong(t));
    }
    Matcher m = DURATION_PART.matcher(t);
    int at = 0;
    long nanos = 0;
    while (at < t.length() && m.find(at) && m.start() == at) {
      double n = Double.parseDouble(m.group(1));
      double unit = switch (m.group(2)) {
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        case "h" -> 3600e9;
        case "d" -> 86400e9;
        default -> 7 * 86400e9; // w
      };
      nanos += Math.round(n * unit);
      at = m.end();
    }
    if (t.isEmpty() || at != t.length()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 48h, 1h30m, 7d, 3600)");
    }
    return Duration.ofNanos(nanos);
  }

  /** {@code 1.5 GiB}, {@code 312 KiB}, {@code 12 B}. */
  public static String humanBytes(long bytes) {
    double v = bytes;
    int u = 0;
    while (Math.abs(v) >= 1024 && u < IEC.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s",
        v, IEC[u]);
  }

  /** How long {@code d} is, roughly, as {@code docker} says it: "3 hours", "About a minute". */
  public static String humanDuration(Duration d) {
    long s = d.toSeconds();
    if (s < 1) {
      return "Less than a second";
    } else if (s == 1) {
      return "1 second";
    } else if (s < 60) {
      return s + " seconds";
    }
    long min = d.toMinutes();
    if (min == 1) {
      return "About a minute";
    } else if (min < 60) {
      return min + " minutes";
    }
    long h = d.toHours();
    if (h == 1) {
      return "About an hour";
    } else if (h < 48) {
      return h + " hours";
    }
    long days = d.toDays();
    if (days < 14) {
      return days + " days";
    } else if (days < 7 * 8) {
      return days / 7 + " weeks";
    } else if (days < 365 * 2) {
      return days / 30 + " months";
    }
    return days / 365 + " years";
  }
}
