package org.refcache.core.layer;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.tar.TarUtils;
import org.refcache.core.digest.ReadingSkip;
import org.refcache.posix.FileNames;
import org.refcache.posix.Printable;

/**
 * A tar reader that also keeps the raw bytes of PAX records, so names, link targets and xattr
 * values survive exactly.
 *
 * <p>Names and link targets come out as byte strings ({@link FileNames}): the header fields are
 * decoded in the charset that keeps bytes (the JVM's default, ISO-8859-1 in the service), and the
 * PAX {@code path} and {@code linkpath} records, which commons-compress decodes as UTF-8, are
 * taken from their raw bytes. A name that is not UTF-8 is therefore unpacked as it is, not turned
 * into U+FFFD (which could also make two different names one).
 *
 * <p>commons-compress decodes every PAX value as UTF-8, which turns binary xattr values (a
 * {@code security.capability} with a byte 0x80 or above, ACLs) into U+FFFD. The PAX records of an
 * entry are read through this stream's own {@link #read(byte[], int, int)} while the current entry
 * is the PAX header, so this class tees those bytes and parses the records itself. A raw value is
 * used only if its UTF-8 decoding is the value commons-compress reports, which ties each raw value
 * to the right entry and key (and fails loudly if a future commons-compress reads differently).
 *
 * <p>It holds the tar to the {@link LayerLimits} that concern its structure, before the memory is
 * spent: the bytes of headers before one entry (counted as they are read, so a PAX record of a
 * gigabyte is refused after the limit, not after it was buffered), the number of entries, the
 * total size of the files (sparse ones at their full size) and the number of extended headers in
 * a row (commons-compress reads each one a level deeper on the stack). It is also stricter than
 * commons-compress about the ends: a stream that is not a tar from its first block is "not a
 * layer tar", and one that stops inside a header block is truncated, not a shorter archive.
 */
final class LayerTarInputStream extends TarArchiveInputStream {
  private static final String SCHILY_XATTR = "SCHILY.xattr.";
  private static final String LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";
  /** PAX, global PAX, GNU long name and long link, and a few spare: no tar needs more in a row. */
  private static final int MAX_CHAINED_HEADERS = 16;

  private final LayerLimits limits;
  private final HeaderGuard guard;
  private long entries;
  private long contentBytes;
  /** The name of the entry last returned, for messages; null before the first. */
  private String lastName;

  private final ByteArrayOutputStream localPax = new ByteArrayOutputStream();
  private final ByteArrayOutputStream longName = new ByteArrayOutputStream();
  private final ByteArrayOutputStream globalPax = new ByteArrayOutputStream();
  private final Map<String, byte[]> globalRecords = new HashMap<>();
  private Map<String, List<byte[]>> entryRecords = Map.of();
  private int depth;

  /** Reads {@code in} (not closed by this class's users until they are done), default limits. */
  LayerTarInputStream(InputStream in) {
    this(in, LayerLimits.DEFAULTS);
  }

  /** Reads {@code in}, holding the tar to {@code limits}. */
  LayerTarInputStream(InputStream in, LayerLimits limits) {
    this(new HeaderGuard(in, limits.maxHeaderSize()), limits);
  }

  private LayerTarInputStream(HeaderGuard guard, LayerLimits limits) {
    super(guard, Charset.defaultCharset().name());
    this.guard = guard;
    this.limits = limits;
    guard.tar = this;
  }

  @Override
  public TarArchiveEntry getNextEntry() throws IOException {
    // commons-compress calls this method recursively for the entry that follows a PAX or GNU
    // long-name header; only the outermost call starts and finishes an entry.
    boolean outermost = depth == 0;
    if (outermost) {
      localPax.reset();
      longName.reset();
    } else if (depth >= MAX_CHAINED_HEADERS) {
      throw new LayerFormatException("more than " + MAX_CHAINED_HEADERS
          + " extended headers in a row" + where());
    }
    depth++;
    TarArchiveEntry entry;
    try {
      entry = super.getNextEntry();
    } finally {
      depth--;
      if (outermost) {
        guard.armed = false;
      }
    }
    if (outermost) {
      entryRecords = parseRecords(localPax.toByteArray());
      if (globalPax.size() > 0) {
        parseRecords(globalPax.toByteArray())
            .forEach((key, values) -> globalRecords.put(key, values.get(values.size() - 1)));
        globalPax.reset();
      }
      if (entry != null) {
        counted(entry);
      }
    }
    return entry;
  }

  /** Holds the entry just read to the entry and size limits. */
  private void counted(TarArchiveEntry entry) throws LayerLimitException {
    String previous = lastName;
    lastName = name(entry);
    if (++entries > limits.maxEntries()) {
      throw new LayerLimitException(LayerLimits.ENTRIES_SETTING, "more than "
          + limits.maxEntries() + " entries (" + LayerLimits.ENTRIES_SETTING + "), at entry \""
          + lastName + "\"");
    }
    byte flag = entry.getLinkFlag();
    boolean file = flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM
        || flag == TarConstants.LF_CONTIG || flag == TarConstants.LF_GNUTYPE_SPARSE;
    if (file) {
      long size = entry.getRealSize();
      if (size < 0 || size > limits.maxSize() - contentBytes) {
        throw new LayerLimitException(LayerLimits.SIZE_SETTING, "entry \"" + lastName
            + "\": the layer's files would add up to more than "
            + LayerLimits.bytes(limits.maxSize()) + " (" + LayerLimits.SIZE_SETTING + "), this one "
            + (size < 0 ? "has a negative size" : "has " + LayerLimits.bytes(size))
            + (previous == null ? "" : "; entry \"" + previous + "\" was the last that fit"));
      }
      contentBytes += size;
    }
  }

  /** Entries returned so far (extended headers not counted). */
  long entries() {
    return entries;
  }

  /**
   * Where the reader is, for messages: {@code " in entry \"a/b\""}, {@code " in the headers
   * after entry \"a/b\""}, or {@code ""} before the first entry.
   */
  String where() {
    // Until the first header block of the next entry is read, the reader is still in the last
    // entry's data, even inside getNextEntry (which skips what the caller did not read).
    boolean inHeaders = guard.armed;
    if (lastName == null) {
      return inHeaders ? " in the headers of the first entry" : "";
    }
    return (inHeaders ? " in the headers after entry \"" : " in entry \"") + lastName + "\"";
  }

  /**
   * One 512-byte block; a header, unless it ends the archive. The header budget starts with the
   * first block of an entry's headers.
   */
  @Override
  protected byte[] readRecord() throws IOException {
    if (depth > 0 && !guard.armed) {
      guard.arm();
    }
    long before = getBytesRead();
    byte[] record = super.readRecord();
    long read = getBytesRead() - before;
    if (record == null) {
      if (before == 0 && read > 0) {
        throw new LayerFormatException("not a layer tar: only " + read
            + " bytes, less than one tar header");
      }
      if (read > 0 && !isAtEOF()) {
        throw new TruncatedLayerException("truncated: the tar ends inside a header block, after "
            + getBytesRead() + " bytes" + where(), null);
      }
      return null;
    }
    if (isEOFRecord(record)) {
      guard.armed = false; // the trailer and its padding are no entry's headers
    } else if (before == 0 && !isHeader(record)) {
      throw new LayerFormatException("not a layer tar: its first " + record.length
          + " bytes are not a tar header (wrong checksum)");
    }
    return record;
  }

  private static boolean isHeader(byte[] record) {
    try {
      return TarUtils.verifyCheckSum(record);
    } catch (IllegalArgumentException e) {
      return false; // the checksum field is not even octal
    }
  }

  @Override
  public int read(byte[] buf, int offset, int numToRead) throws IOException {
    int n = super.read(buf, offset, numToRead);
    TarArchiveEntry current = getCurrentEntry();
    if (n > 0 && current != null) {
      if (current.isPaxHeader()) {
        localPax.write(buf, offset, n);
      } else if (current.isGNULongNameEntry()) {
        longName.write(buf, offset, n);
      } else if (current.isGlobalPaxHeader()) {
        globalPax.write(buf, offset, n);
      }
    }
    return n;
  }

  /**
   * The name of the entry last returned by {@link #getNextEntry()} exactly as the tar has it.
   * commons-compress strips leading slashes from names that come from a PAX {@code path} record
   * or a GNU long name (not from the header's own name field); the unpacker must see them to
   * refuse absolute names, and BuildKit's file list keeps them.
   */
  String name(TarArchiveEntry entry) {
    String normalized = entry.getName();
    List<byte[]> paths = entryRecords.get("path");
    if (paths != null) {
      // commons-compress took the name from this record, decoded as UTF-8.
      for (byte[] path : paths) {
        if (stripLeadingSlashes(new String(path, StandardCharsets.UTF_8)).equals(normalized)) {
          return new String(path, Charset.defaultCharset());
        }
      }
      return FileNames.fromText(normalized);
    }
    if (longName.size() > 0) {
      byte[] data = longName.toByteArray();
      int len = data.length;
      while (len > 0 && data[len - 1] == 0) {
        len--;
      }
      String candidate = new String(data, 0, len, Charset.defaultCharset());
      if (stripLeadingSlashes(candidate).equals(normalized)) {
        return candidate;
      }
    }
    return normalized;
  }

  /**
   * The link target (symlink or hard link) of the entry last returned by {@link #getNextEntry()}
   * as a byte string: from its PAX {@code linkpath} record's raw bytes when it has one.
   */
  String linkName(TarArchiveEntry entry) {
    String decoded = entry.getLinkName();
    List<byte[]> targets = entryRecords.get("linkpath");
    if (targets == null) {
      return decoded; // a header field or GNU long link, decoded in the default charset
    }
    for (byte[] target : targets) {
      if (new String(target, StandardCharsets.UTF_8).equals(decoded)) {
        return new String(target, Charset.defaultCharset());
      }
    }
    return FileNames.fromText(decoded);
  }

  private static String stripLeadingSlashes(String name) {
    int i = 0;
    while (i < name.length() && name.charAt(i) == '/') {
      i++;
    }
    return name.substring(i);
  }

  /**
   * The extended attributes of the entry last returned by {@link #getNextEntry()}: PAX
   * {@code SCHILY.xattr.<name>} (raw bytes) and {@code LIBARCHIVE.xattr.<url-encoded name>}
   * (base64), the first winning when both name the same attribute.
   */
  Map<String, byte[]> xattrs(TarArchiveEntry entry) throws LayerFormatException {
    Map<String, String> extra = entry.getExtraPaxHeaders();
    if (extra.isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> xattrs = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : extra.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(SCHILY_XATTR) && key.length() > SCHILY_XATTR.length()) {
        xattrs.put(key.substring(SCHILY_XATTR.length()), rawValue(entry, key, e.getValue()));
      }
    }
    for (Map.Entry<String, String> e : extra.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(LIBARCHIVE_XATTR) && key.length() > LIBARCHIVE_XATTR.length()) {
        String name = percentDecode(key.substring(LIBARCHIVE_XATTR.length()));
        try {
          xattrs.putIfAbsent(name, Base64.getDecoder().decode(e.getValue().trim()));
        } catch (IllegalArgumentException badBase64) {
          throw new LayerFormatException("entry \"" + Printable.name(name(entry))
              + "\": PAX record " + Printable.text(key) + " is not base64", badBase64);
        }
      }
    }
    return xattrs;
  }

  private byte[] rawValue(TarArchiveEntry entry, String key, String decoded)
      throws LayerFormatException {
    for (byte[] candidate : entryRecords.getOrDefault(key, List.of())) {
      if (new String(candidate, StandardCharsets.UTF_8).equals(decoded)) {
        return candidate;
      }
    }
    byte[] global = globalRecords.get(key);
    if (global != null && new String(global, StandardCharsets.UTF_8).equals(decoded)) {
      return global;
    }
    if (decoded.indexOf('\uFFFD') < 0) {
      return decoded.getBytes(StandardCharsets.UTF_8);
    }
    throw new LayerFormatException("entry \"" + Printable.name(name(entry))
        + "\": cannot recover the raw bytes of PAX record " + Printable.text(key));
  }

  /**
   * PAX records {@code "<len> <key>=<value>\n"}, values as raw bytes. Stops at the first malformed
   * record: commons-compress has already rejected malformed headers, so only padding is left then.
   */
  static Map<String, List<byte[]>> parseRecords(byte[] data) {
    if (data.length == 0) {
      return Map.of();
    }
    Map<String, List<byte[]>> records = new HashMap<>();
    int pos = 0;
    while (pos < data.length) {
      int space = pos;
      int len = 0;
      while (space < data.length && data[space] >= '0' && data[space] <= '9' && len < 100_000_000) {
        len = len * 10 + (data[space] - '0');
        space++;
      }
      if (space == pos || space >= data.length || data[space] != ' ') {
        break;
      }
      int end = pos + len;
      if (len <= 0 || end > data.length || data[end - 1] != '\n') {
        break;
      }
      int equals = space + 1;
      while (equals < end && data[equals] != '=') {
        equals++;
      }
      if (equals >= end) {
        break;
      }
      String key = new String(data, space + 1, equals - space - 1, StandardCharsets.UTF_8);
      byte[] value = new byte[end - 1 - (equals + 1)];
      System.arraycopy(data, equals + 1, value, 0, value.length);
      records.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      pos = end;
    }
    return records;
  }

  /** libarchive escapes xattr names in PAX keys as {@code %XX}; '+' is literal. */
  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '%' && i + 2 < bytes.length) {
        int hi = Character.digit(bytes[i + 1], 16);
        int lo = Character.digit(bytes[i + 2], 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi * 16 + lo);
          i += 2;
          continue;
        }
      }
      out.write(bytes[i]);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Counts the bytes of one entry's headers as commons-compress reads them (through this stream
   * or straight from the underlying one, as for PAX 1.0 sparse maps) and refuses the layer once
   * they pass {@link LayerLimits#maxHeaderSize()}.
   */
  private static final class HeaderGuard extends FilterInputStream {
    private final long budget;
    LayerTarInputStream tar;
    boolean armed;
    private long used;

    HeaderGuard(InputStream in, long budget) {
      super(in);
      this.budget = budget;
    }

    void arm() {
      armed = true;
      used = 0;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      // While armed, read at most one byte past the budget: that byte proves the headers too big.
      long room = armed ? budget - used : Long.MAX_VALUE;
      int n = in.read(b, off, room >= len ? len : (int) Math.max(room + 1, 1));
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      if (!armed) {
        return in.skip(n);
      }
      return ReadingSkip.skip(this, n);
    }

    private void counted(int n) throws LayerLimitException {
      if (!armed) {
        return;
      }
      used += n;
      if (used > budget) {
        throw new LayerLimitException(LayerLimits.HEADER_SETTING, "the tar headers "
            + (tar.lastName == null ? "of the first entry" : "after entry \"" + tar.lastName
                + "\"") + " are larger than " + LayerLimits.bytes(budget) + " ("
            + LayerLimits.HEADER_SETTING + ")");
      }
    }
  }
}
