package org.refcache.core.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Builds layer tarballs for tests with commons-compress (PAX long names and big numbers).
 *
 * <p>Times and xattrs go into a raw PAX header written just before the entry, because
 * commons-compress writes times to 100 ns and xattr values as UTF-8 text: real tars (Go's
 * archive/tar) carry nanoseconds and binary values.
 */
final class TarBuilder {
  static final Instant DEFAULT_TIME = Instant.ofEpochSecond(1_600_000_000L);

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream out;
  private final Map<String, byte[]> pending = new LinkedHashMap<>();
  private int uid;
  private int gid;
  private Integer mode;
  private int paxHeaders;

  TarBuilder() {
    out = new TarArchiveOutputStream(bytes);
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    out.setAddPaxHeadersForNonAsciiNames(true);
  }

  /** Owner of the next entry. */
  TarBuilder owner(int uid, int gid) {
    this.uid = uid;
    this.gid = gid;
    return this;
  }

  /** Mode (permission bits) of the next entry, instead of 0755 / 0644. */
  TarBuilder mode(int mode) {
    this.mode = mode;
    return this;
  }

  /** Nanosecond mtime (and atime, if not null) of the next entry, as PAX records. */
  TarBuilder times(Instant mtime, Instant atime) {
    pax("mtime", paxTime(mtime));
    if (atime != null) {
      pax("atime", paxTime(atime));
    }
    return this;
  }

  /** An xattr of the next entry, as a PAX {@code SCHILY.xattr.} record with raw bytes. */
  TarBuilder xattr(String name, byte[] value) {
    pending.put("SCHILY.xattr." + name, value);
    return this;
  }

  /** Any PAX record for the next entry. */
  TarBuilder pax(String key, String value) {
    pending.put(key, value.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** A PAX record for the next entry with a raw value (bytes that need not be UTF-8). */
  TarBuilder paxBytes(String key, byte[] value) {
    pending.put(key, value);
    return this;
  }

  /** Long names from now on as GNU {@code ././@LongLink} entries instead of PAX. */
  TarBuilder gnuLongNames() {
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
    return this;
  }

  TarBuilder dir(String name) {
    return add(entryNamed(name, TarConstants.LF_DIR), null, 0755);
  }

  TarBuilder file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  TarBuilder file(String name, byte[] content) {
    TarArchiveEntry e = entryNamed(name, TarConstants.LF_NORMAL);
    e.setSize(content.length);
    return add(e, content, 0644);
  }

  TarBuilder symlink(String name, String target) {
    TarArchiveEntry e = entryNamed(name, TarConstants.LF_SYMLINK);
    e.setLinkName(target);
    return add(e, null, 0777);
  }

  TarBuilder hardLink(String name, String target) {
    TarArchiveEntry e = entryNamed(name, TarConstants.LF_LINK);
    e.setLinkName(target);
    return add(e, null, 0644);
  }

  TarBuilder fifo(String name) {
    return add(entryNamed(name, TarConstants.LF_FIFO), null, 0644);
  }

  TarBuilder charDevice(String name, int major, int minor) {
    TarArchiveEntry e = entryNamed(name, TarConstants.LF_CHR);
    e.setDevMajor(major);
    e.setDevMinor(minor);
    return add(e, null, 0666);
  }

  /** An entry of any type flag, no content. */
  TarBuilder entry(String name, byte typeFlag) {
    return add(entryNamed(name, typeFlag), null, 0644);
  }

  /** Keeps the name as given: commons-compress would strip a leading slash. */
  private static TarArchiveEntry entryNamed(String name, byte typeFlag) {
    return new TarArchiveEntry(name, typeFlag, true);
  }

  private TarBuilder add(TarArchiveEntry e, byte[] content, int defaultMode) {
    try {
      flushPax();
      e.setMode(mode != null ? mode : defaultMode);
      e.setUserId(uid);
      e.setGroupId(gid);
      e.setModTime(FileTime.from(DEFAULT_TIME));
      out.putArchiveEntry(e);
      if (content != null) {
        out.write(content);
      }
      out.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    uid = 0;
    gid = 0;
    mode = null;
    return this;
  }

  private void flushPax() throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    ByteArrayOutputStream records = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : pending.entrySet()) {
      records.write(paxRecord(r.getKey(), r.getValue()));
    }
    pending.clear();
    byte[] data = records.toByteArray();
    TarArchiveEntry x = new TarArchiveEntry("PaxHeaders/" + (paxHeaders++),
        TarConstants.LF_PAX_EXTENDED_HEADER_LC);
    x.setSize(data.length);
    // A whole-second time, or commons-compress adds a PAX header for the PAX header.
    x.setModTime(FileTime.from(DEFAULT_TIME));
    out.putArchiveEntry(x);
    out.write(data);
    out.closeArchiveEntry();
  }

  /** The finished tar, trailer and record padding included. */
  byte[] build() {
    try {
      out.finish();
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static byte[] compress(byte[] tar, Compression compression) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (OutputStream c = compression.compress(buf)) {
      c.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buf.toByteArray();
  }

  static String paxTime(Instant t) {
    return t.getEpochSecond() + "." + String.format("%09d", t.getNano());
  }

  /** {@code "<len> <key>=<value>\n"} where len counts the whole record, itself included. */
  static byte[] paxRecord(String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int rest = 1 + k.length + 1 + value.length + 1;
    int len = rest + 1;
    while (Integer.toString(len).length() + rest != len) {
      len = Integer.toString(len).length() + rest;
    }
    ByteArrayOutputStream r = new ByteArrayOutputStream();
    r.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
    r.write(' ');
    r.writeBytes(k);
    r.write('=');
    r.writeBytes(value);
    r.write('\n');
    return r.toByteArray();
  }
}
