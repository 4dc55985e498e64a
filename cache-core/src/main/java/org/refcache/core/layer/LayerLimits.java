package org.refcache.core.layer;

import java.util.Locale;

/**
 * How much one layer may make the service read, write and keep in memory. A layer over a limit is
 * refused with a {@link LayerLimitException} as soon as the limit is passed, having read only that
 * far: a gzip bomb costs what the limit allows, not what it expands to.
 *
 * <p>The uncompressed tar of a blob of {@code c} compressed bytes may have at most
 * {@code min(maxSize, max(ratioFloor, maxRatio * c))} bytes: the ratio catches a small blob that
 * expands enormously, and the floor lets small layers of very compressible data (a tar of empty
 * files is almost all zeros) pass whatever their ratio. The files of a layer may also add up to at
 * most {@code maxSize} bytes, a sparse file counted at its full size (a tar of a few bytes can
 * describe a sparse file of a terabyte, which unpacking would write out).
 *
 * @param maxSize       most bytes of uncompressed tar, and of file content ({@value #SIZE_SETTING})
 * @param maxRatio      most uncompressed bytes per compressed byte past {@code ratioFloor}
 *                      ({@value #RATIO_SETTING})
 * @param ratioFloor    uncompressed bytes any layer may have, whatever its ratio
 * @param maxEntries    most tar entries ({@value #ENTRIES_SETTING}); the unpacker keeps every path
 *                      of a layer in memory while applying it
 * @param maxHeaderSize most bytes of tar headers before one entry: its PAX records, GNU long name
 *                      and link, sparse map and the 512-byte header blocks themselves
 *                      ({@value #HEADER_SETTING})
 */
public record LayerLimits(long maxSize, long maxRatio, long ratioFloor, long maxEntries,
    long maxHeaderSize) {
  /** The name of the size limit in messages (the daemon's option is {@code --max-layer-size}). */
  public static final String SIZE_SETTING = "max-layer-size";
  /** The name of the ratio limit in messages. */
  public static final String RATIO_SETTING = "max-layer-ratio";
  /** The name of the entry limit in messages. */
  public static final String ENTRIES_SETTING = "max-layer-entries";
  /** The name of the header size limit in messages. */
  public static final String HEADER_SETTING = "max-tar-header";

  /** One tar block: the smallest header there is. */
  static final int TAR_BLOCK = 512;

  /**
   * 64 GiB, 100 times, 64 MiB, a million entries, 1 MiB of headers per entry. Real layers are far
   * below: the largest in public images are a few GiB, compress 2 to 10 times, and hold some
   * hundred thousand files with headers of a few KiB (long names, xattrs).
   */
  public static final LayerLimits DEFAULTS =
      new LayerLimits(64L << 30, 100, 64L << 20, 1_000_000, 1L << 20);

  public LayerLimits {
    positive(maxSize, SIZE_SETTING);
    positive(maxRatio, RATIO_SETTING);
    if (ratioFloor < 0) {
      throw new IllegalArgumentException("the ratio floor must not be negative, got " + ratioFloor);
    }
    positive(maxEntries, ENTRIES_SETTING);
    if (maxHeaderSize < TAR_BLOCK) {
      throw new IllegalArgumentException(HEADER_SETTING + " must be at least " + TAR_BLOCK
          + " bytes (one tar header), got " + maxHeaderSize);
    }
  }

  public LayerLimits withMaxSize(long bytes) {
    return new LayerLimits(bytes, maxRatio, ratioFloor, maxEntries, maxHeaderSize);
  }

  public LayerLimits withMaxRatio(long ratio) {
    return new LayerLimits(maxSize, ratio, ratioFloor, maxEntries, maxHeaderSize);
  }

  public LayerLimits withRatioFloor(long bytes) {
    return new LayerLimits(maxSize, maxRatio, bytes, maxEntries, maxHeaderSize);
  }

  public LayerLimits withMaxEntries(long entries) {
    return new LayerLimits(maxSize, maxRatio, ratioFloor, entries, maxHeaderSize);
  }

  public LayerLimits withMaxHeaderSize(long bytes) {
    return new LayerLimits(maxSize, maxRatio, ratioFloor, maxEntries, bytes);
  }

  /**
   * The uncompressed bytes a blob of {@code compressedSize} bytes may expand to; for an unknown
   * size (negative) only {@link #maxSize} applies.
   */
  long uncompressedAllowance(long compressedSize) {
    if (compressedSize < 0) {
      return maxSize;
    }
    long byRatio = compressedSize > Long.MAX_VALUE / maxRatio ? Long.MAX_VALUE
        : compressedSize * maxRatio;
    return Math.min(maxSize, Math.max(ratioFloor, byRatio));
  }

  /** {@code bytes} for people: {@code 1.5 MiB}, {@code 64 GiB}, {@code 100 bytes}. */
  public static String bytes(long bytes) {
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
      return bytes + (bytes == 1 ? " byte" : " bytes");
    }
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return value == Math.rint(value) ? String.format(Locale.ROOT, "%d %s", (long) value, units[unit])
        : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  private static void positive(long value, String setting) {
    if (value <= 0) {
      throw new IllegalArgumentException(setting + " must be positive, got " + value);
    }
  }
}
