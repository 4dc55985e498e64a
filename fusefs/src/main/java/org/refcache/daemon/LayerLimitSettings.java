package org.refcache.daemon;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.refcache.core.layer.LayerLimits;

/**
 * The service's {@link LayerLimits} from {@code refcache daemon}'s options and the environment: an
 * option wins over its environment variable, which wins over the default, as for {@code --root}.
 *
 * <table>
 *   <caption>settings</caption>
 *   <tr><th>option</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@code --max-layer-size SIZE}</td><td>{@value #SIZE_ENV}</td><td>64G</td></tr>
 *   <tr><td>{@code --max-layer-ratio N}</td><td>{@value #RATIO_ENV}</td><td>100</td></tr>
 *   <tr><td>{@code --max-layer-entries N}</td><td>{@value #ENTRIES_ENV}</td><td>1000000</td></tr>
 *   <tr><td>{@code --max-tar-header SIZE}</td><td>{@value #HEADER_ENV}</td><td>1M</td></tr>
 * </table>
 *
 * A SIZE is a number of bytes with an optional binary suffix: {@code K}, {@code M}, {@code G},
 * {@code T} (also {@code KiB} and so on).
 */
public final class LayerLimitSettings {
  public static final String SIZE_ENV = "REFCACHE_MAX_LAYER_SIZE";
  public static final String RATIO_ENV = "REFCACHE_MAX_LAYER_RATIO";
  public static final String ENTRIES_ENV = "REFCACHE_MAX_LAYER_ENTRIES";
  public static final String HEADER_ENV = "REFCACHE_MAX_TAR_HEADER";

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmgt])(?:i?b)?|b)?");

  private LayerLimitSettings() {
  }

  /**
   * The limits from the options (null when not given) and {@code env}.
   *
   * @throws IllegalArgumentException naming the option and its variable when a value is not valid
   */
  public static LayerLimits resolve(String size, String ratio, String entries, String header,
      Map<String, String> env) {
    LayerLimits d = LayerLimits.DEFAULTS;
    long maxSize = setting(size, env.get(SIZE_ENV), "--max-layer-size", SIZE_ENV, true,
        d.maxSize());
    long maxRatio = setting(ratio, env.get(RATIO_ENV), "--max-layer-ratio", RATIO_ENV, false,
        d.maxRatio());
    long maxEntries = setting(entries, env.get(ENTRIES_ENV), "--max-layer-entries", ENTRIES_ENV,
        false, d.maxEntries());
    long maxHeader = setting(header, env.get(HEADER_ENV), "--max-tar-header", HEADER_ENV, true,
        d.maxHeaderSize());
    try {
      return new LayerLimits(maxSize, maxRatio, d.ratioFloor(), maxEntries, maxHeader);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("layer limits: " + e.getMessage(), e);
    }
  }

  private static long setting(String option, String variable, String optionName,
      String variableName, boolean isSize, long fallback) {
    String value = option != null && !option.isEmpty() ? option
        : variable != null && !variable.isEmpty() ? variable : null;
    if (value == null) {
      return fallback;
    }
    long parsed = isSize ? parseSize(value) : parseCount(value);
    if (parsed <= 0) {
      throw new IllegalArgumentException(optionName + " (" + variableName + ") must be "
          + (isSize ? "a positive size such as 64G, 512M or 1048576" : "a positive whole number")
          + ", not \"" + value + "\"");
    }
    return parsed;
  }

  /** Bytes of a SIZE ({@code 64G}, {@code 512MiB}, {@code 1048576}), or -1 if it is not one. */
  static long parseSize(String text) {
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return -1;
    }
    long number = parseCount(m.group(1));
    if (number < 0) {
      return -1;
    }
    int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      default -> 40;
    };
    return number > (Long.MAX_VALUE >> shift) ? -1 : number << shift;
  }

  private static long parseCount(String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
