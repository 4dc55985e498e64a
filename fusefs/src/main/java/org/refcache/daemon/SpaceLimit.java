package org.refcache.daemon;

import org.refcache.protocol.Quantities;
import java.util.Locale;

/**
 * A space limit of the GC policy: bytes ({@code 10GB}, {@code 512MiB}) or a percentage of the state
 * root's filesystem ({@code 10%}), or the smaller of both ({@code min(10%, 10GB)}, as buildkitd's
 * defaults are). Zero: no limit.
 */
public record SpaceLimit(long bytes, double percent) {
  public static final SpaceLimit NONE = new SpaceLimit(0, 0);

  public SpaceLimit {
    if (bytes < 0 || percent < 0 || percent > 100) {
      throw new IllegalArgumentException("a space limit is 0-100% and/or bytes >= 0: " + bytes + " bytes, " + percent + "%");
    }
  }

  /**
   * {@code 10GB}, {@code 10%}, or both separated by a comma (the smaller applies).
   *
   * @throws IllegalArgumentException naming the text
   */
  public static SpaceLimit parse(String text) {
    long bytes = 0;
    double percent = 0;
    for (String part : text.split(",")) {
      String p = part.strip();
      if (p.endsWith("%")) {
        try {
          percent = Double.parseDouble(p.substring(0, p.length() - 1).strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("not a percentage: '" + p + "'");
        }
      } else {
        bytes = Quantities.bytes(p);
      }
    }
    return new SpaceLimit(bytes, percent);
  }

  /** The limit in bytes on a filesystem of {@code filesystemBytes}. */
  public long resolve(long filesystemBytes) {
    long fromPercent = Math.round(filesystemBytes * percent / 100);
    if (percent > 0 && bytes > 0) {
      return Math.min(fromPercent, bytes);
    }
    return percent > 0 ? fromPercent : bytes;
  }

  @Override
  public String toString() {
    if (percent > 0 && bytes > 0) {
      return String.format(Locale.ROOT, "min(%s%%, %s)", percent, Quantities.humanBytes(bytes));
    }
    return percent > 0 ? percent + "%" : Quantities.humanBytes(bytes);
  }
}
