package org.refcache.core.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.refcache.posix.FileNames;

/**
 * Writes a POSIX.1-2001 (PAX) tar, header by header, the same bytes for the same entries.
 *
 * <p>Our own writer rather than commons-compress's {@code TarArchiveOutputStream}, which encodes
 * PAX values as UTF-8 text: a name held as a byte string ({@link FileNames}) would be encoded
 * twice, and a binary xattr value (a file capability) would be mangled. Here every name, link
 * target and xattr value is written as its bytes.
 *
 * <p>The rules, which decide the bytes: a ustar header per entry; a PAX extended header
 * ({@code x}) before it only when the entry needs one: a name or link target longer than the
 * header field or not ASCII (its bytes as they are, UTF-8 or not, as Go's {@code archive/tar}
 * writes them: GNU tar warns about {@code hdrcharset}, and the readers that matter take the bytes
 * anyway), an mtime
 * with nanoseconds or out of the field's range, a uid, gid or size too large for octal, an xattr
 * ({@code SCHILY.xattr.<name>}, raw value). PAX records come in a fixed order, xattrs sorted by
 * name. No atime, no ctime, no user or group names. The archive ends with two zero blocks and no
 * further padding (as Go's {@code archive/tar} writes it).
 */
final class TarWriter {
  static final int BLOCK = 512;
  private static final int NAME_FIELD = 100;
  private static final long MAX_OCTAL_7 = 07777777L;
  private static final long MAX_OCTAL_11 = 077777777777L;
  private static final byte[] ZEROS = new byte[BLOCK];
  private static final String PAX_HEADER_DIR = "PaxHeaders.0/";

  /**
   * What a header says of an entry besides its name and type.
   *
   * @param mode   permission bits (setuid, setgid, sticky included)
   * @param xattrs extended attributes by name (byte strings), written in name order
   */
  record Meta(int mode, long uid, long gid, Instant mtime, Map<String, byte[]> xattrs) {
    Meta {
      Objects.requireNonNull(mtime, "mtime");
      xattrs = xattrs == null ? Map.of() : xattrs;
    }
  }

  /** The metadata of whiteouts and opaque markers: nothing, at the epoch. */
  static final Meta MARKER = new Meta(0, 0, 0, Instant.EPOCH, Map.of());

  private final OutputStream out;
  private final byte[] header = new byte[BLOCK];
  private long entries;
  private boolean finished;

  /** Writes to {@code out}, which the caller closes. */
  TarWriter(OutputStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Entries written so far (extended headers not counted). */
  long entries() {
    return entries;
  }

  /** A directory entry {@code name/} ({@code name} without the slash). */
  void directory(String name, Meta meta) throws IOException {
    writeHeader(name + "/", TarConstants.LF_DIR, meta, 0, null, 0, 0);
  }

  /**
   * A regular file of {@code size} bytes read from {@code content}, which must give exactly that
   * many.
   *
   * @param what names the file in the error when {@code content} gives another number of bytes
   */
  void file(String name, Meta meta, long size, InputStream content, String what, byte[] buffer)
      throws IOException {
    writeHeader(name, TarConstants.LF_NORMAL, meta, size, null, 0, 0);
    long left = size;
    while (left > 0) {
      int n = content.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new LayerSourceChangedException(what, "it shrank while it was being written: "
            + size + " bytes expected, " + (size - left) + " read");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
    if (content.read() >= 0) {
      throw new LayerSourceChangedException(what, "it grew while it was being written: "
          + size + " bytes expected");
    }
    pad(size);
  }

  /** A regular file with the given bytes. */
  void file(String name, Meta meta, byte[] content) throws IOException {
    writeHeader(name, TarConstants.LF_NORMAL, meta, content.length, null, 0, 0);
    out.write(content);
    pad(content.length);
  }

  void symlink(String name, Meta meta, String target) throws IOException {
    writeHeader(name, TarConstants.LF_SYMLINK, meta, 0, target, 0, 0);
  }

  /** A hard link {@code name} to {@code target}, an entry written before. */
  void hardLink(String name, Meta meta, String target) throws IOException {
    writeHeader(name, TarConstants.LF_LINK, meta, 0, target, 0, 0);
  }

  /** A character ({@code block == false}) or block device. */
  void device(String name, Meta meta, boolean block, int major, int minor) throws IOException {
    writeHeader(name, block ? TarConstants.LF_BLK : TarConstants.LF_CHR, meta, 0, null, major,
        minor);
  }

  void fifo(String name, Meta meta) throws IOException {
    writeHeader(name, TarConstants.LF_FIFO, meta, 0, null, 0, 0);
  }

  /** Ends the archive (two zero blocks); idempotent. Does not close the stream. */
  void finish() throws IOException {
    if (!finished) {
      finished = true;
      out.write(ZEROS);
      out.write(ZEROS);
    }
  }

  private void writeHeader(String name, byte type, Meta meta, long size, String linkName,
      int devMajor, int devMinor) throws IOException {
    if (finished) {
      throw new IllegalStateException("the tar is finished");
    }
    byte[] nameBytes = FileNames.bytes(name);
    byte[] linkBytes = linkName == null ? new byte[0] : FileNames.bytes(linkName);
    ByteArrayOutputStream pax = new ByteArrayOutputStream();
    if (!fitsField(linkBytes)) {
      record(pax, "linkpath", linkBytes);
    }
    long seconds = meta.mtime().getEpochSecond();
    int nanos = meta.mtime().getNano();
    boolean mtimeFits = seconds >= 0 && seconds <= MAX_OCTAL_11;
    if (nanos != 0 || !mtimeFits) {
      record(pax, "mtime", ascii(paxTime(meta.mtime())));
    }
    if (!fitsField(nameBytes)) {
      record(pax, "path", nameBytes);
    }
    if (size > MAX_OCTAL_11) {
      record(pax, "size", ascii(Long.toString(size)));
    }
    if (meta.uid() > MAX_OCTAL_7) {
      record(pax, "uid", ascii(Long.toString(meta.uid())));
    }
    if (meta.gid() > MAX_OCTAL_7) {
      record(pax, "gid", ascii(Long.toString(meta.gid())));
    }
    if (!meta.xattrs().isEmpty()) {
      meta.xattrs().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(x -> record(pax, "SCHILY.xattr." + x.getKey(), x.getValue()));
    }
    if (pax.size() > 0) {
      byte[] records = pax.toByteArray();
      fill(paxHeaderName(nameBytes), TarConstants.LF_PAX_EXTENDED_HEADER_LC, 0644, 0, 0, 0,
          records.length, new byte[0], 0, 0);
      out.write(header);
      out.write(records);
      pad(records.length);
    }
    fill(nameBytes, type, meta.mode() & 07777, Math.min(meta.uid(), MAX_OCTAL_7),
        Math.min(meta.gid(), MAX_OCTAL_7), mtimeFits ? seconds : 0, Math.min(size, MAX_OCTAL_11),
        linkBytes, devMajor, devMinor);
    out.write(header);
    entries++;
  }

  /** Fills {@link #header} with a ustar header; over-long byte fields are cut (PAX has them). */
  private void fill(byte[] name, byte type, int mode, long uid, long gid, long mtime, long size,
      byte[] link, int devMajor, int devMinor) {
    Arrays.fill(header, (byte) 0);
    System.arraycopy(name, 0, header, 0, Math.min(name.length, NAME_FIELD));
    octal(mode, 100, 8);
    octal(uid, 108, 8);
    octal(gid, 116, 8);
    octal(size, 124, 12);
    octal(mtime, 136, 12);
    header[156] = type;
    System.arraycopy(link, 0, header, 157, Math.min(link.length, NAME_FIELD));
    System.arraycopy(ascii("ustar\0"), 0, header, 257, 6);
    header[263] = '0';
    header[264] = '0';
    number(devMajor, 329);
    number(devMinor, 337);
    Arrays.fill(header, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    octal(sum, 148, 7); // six digits, NUL, and the space already there
  }

  /** {@code value} as zero-padded octal in {@code width - 1} digits and a NUL. */
  private void octal(long value, int offset, int width) {
    String digits = Long.toOctalString(value);
    int pad = width - 1 - digits.length();
    for (int i = 0; i < pad; i++) {
      header[offset + i] = '0';
    }
    for (int i = 0; i < digits.length(); i++) {
      header[offset + pad + i] = (byte) digits.charAt(i);
    }
    header[offset + width - 1] = 0;
  }

  /** A device number: octal, or GNU base-256 when it does not fit (PAX has no key for it). */
  private void number(int value, int offset) {
    long unsigned = Integer.toUnsignedLong(value);
    if (unsigned <= MAX_OCTAL_7) {
      octal(unsigned, offset, 8);
      return;
    }
    header[offset] = (byte) 0x80;
    for (int i = 7; i >= 1; i--) {
      header[offset + i] = (byte) (unsigned & 0xff);
      unsigned >>>= 8;
    }
  }

  private void pad(long size) throws IOException {
    int rest = (int) (size % BLOCK);
    if (rest != 0) {
      out.write(ZEROS, 0, BLOCK - rest);
    }
  }

  /**
   * The name of the extended header of entry {@code name}, as Go writes it
   * ({@code dir/PaxHeaders.0/base}), its non-ASCII bytes made {@code _} and cut to the field: only
   * people read it.
   */
  private static byte[] paxHeaderName(byte[] name) {
    int end = name.length;
    while (end > 0 && name[end - 1] == '/') {
      end--;
    }
    int slash = end - 1;
    while (slash >= 0 && name[slash] != '/') {
      slash--;
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(name, 0, slash + 1);
    b.writeBytes(ascii(PAX_HEADER_DIR));
    b.write(name, slash + 1, end - slash - 1);
    byte[] bytes = b.toByteArray();
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] < 0x20) {
        bytes[i] = '_';
      }
    }
    return bytes.length <= NAME_FIELD ? bytes : Arrays.copyOf(bytes, NAME_FIELD);
  }

  /** Whether a name or link target can stay in its header field: short enough, and ASCII. */
  private static boolean fitsField(byte[] bytes) {
    if (bytes.length > NAME_FIELD) {
      return false;
    }
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code seconds[.fraction]}, the fraction without trailing zeros. */
  static String paxTime(Instant t) {
    long seconds = t.getEpochSecond();
    int nanos = t.getNano();
    if (nanos == 0) {
      return Long.toString(seconds);
    }
    // A negative time is seconds + nanos with seconds rounded down: -0.5 is -1 + 0.5.
    boolean negative = seconds < 0;
    long whole = negative ? seconds + 1 : seconds;
    int fraction = negative ? 1_000_000_000 - nanos : nanos;
    String digits = String.format("%09d", fraction).replaceFirst("0+$", "");
    return (negative && whole == 0 ? "-" : "") + whole + "." + digits;
  }

  /** {@code "<len> <key>=<value>\n"} where len counts the whole record, itself included. */
  private static void record(ByteArrayOutputStream pax, String key, byte[] value) {
    byte[] k = FileNames.bytes(key);
    int body = 1 + k.length + 1 + value.length + 1; // " key=value\n"
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len++;
    }
    pax.writeBytes(ascii(Integer.toString(len)));
    pax.write(' ');
    pax.writeBytes(k);
    pax.write('=');
    pax.writeBytes(value);
    pax.write('\n');
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
