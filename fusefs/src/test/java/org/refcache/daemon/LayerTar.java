package org.refcache.daemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.refcache.core.layer.Compression;

/**
 * Layer tarballs built in the tests (commons-compress), and the entries they hold, so a test can check
 * what a mount shows against what the tar says.
 *
 * <p>PAX headers are written by hand: commons-compress 1.28 rounds PAX {@code mtime} to 100 ns, and the
 * point is to see nanoseconds survive.
 */
final class LayerTar {
  /** One tar entry and its attributes. */
  sealed interface Entry {
    String path();

    int mode();

    int uid();

    int gid();

    Instant mtime();

    Map<String, String> xattrs();
  }

  record Dir(String path, int mode, int uid, int gid, Instant mtime, Map<String, String> xattrs) implements Entry {}

  record File(String path, int mode, int uid, int gid, Instant mtime, Map<String, String> xattrs, byte[] content)
      implements Entry {}

  record Symlink(String path, int uid, int gid, Instant mtime, String target) implements Entry {
    @Override
    public int mode() {
      return 0777;
    }

    @Override
    public Map<String, String> xattrs() {
      return Map.of();
    }
  }

  /** A second name of {@code target} (a path in the same tar). */
  record HardLink(String path, String target) implements Entry {
    @Override
    public int mode() {
      return 0;
    }

    @Override
    public int uid() {
      return 0;
    }

    @Override
    public int gid() {
      return 0;
    }

    @Override
    public Instant mtime() {
      return Instant.EPOCH;
    }

    @Override
    public Map<String, String> xattrs() {
      return Map.of();
    }
  }

  record Fifo(String path, int mode, int uid, int gid, Instant mtime) implements Entry {
    @Override
    public Map<String, String> xattrs() {
      return Map.of();
    }
  }

  record CharDevice(String path, int mode, int uid, int gid, Instant mtime, int major, int minor) implements Entry {
    @Override
    public Map<String, String> xattrs() {
      return Map.of();
    }
  }

  private LayerTar() {}

  static Instant t(long seconds, int nanos) {
    return Instant.ofEpochSecond(seconds, nanos);
  }

  /** Every kind of entry a layer holds, with odd modes, owners, nanosecond times and xattrs. */
  static List<Entry> everyKind() {
    byte[] big = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(big);
    List<Entry> l = new ArrayList<>();
    l.add(new Dir("etc", 0755, 0, 0, t(1_600_000_000L, 111_111_111), Map.of()));
    l.add(new File("etc/hello.txt", 0644, 1000, 1000, t(1_700_000_000L, 123_456_789),
        Map.of("user.greeting", "hello", "trusted.note", "root only"), "hello, world\n".getBytes(StandardCharsets.UTF_8)));
    l.add(new HardLink("etc/hello.hard", "etc/hello.txt"));
    l.add(new Symlink("etc/hello.link", 0, 0, t(1_650_000_000L, 5), "hello.txt"));
    l.add(new File("etc/empty", 0600, 33, 33, t(1_500_000_000L, 999_999_999), Map.of(), new byte[0]));
    l.add(new Dir("bin", 0750, 0, 10, t(1_600_000_001L, 1), Map.of("user.dir", "yes")));
    l.add(new File("bin/tool", 04755, 0, 0, t(1_600_000_002L, 2), Map.of(), "#!/bin/sh\necho tool\n".getBytes(StandardCharsets.UTF_8)));
    l.add(new File("bin/group-tool", 02711, 0, 50, t(1_600_000_003L, 3), Map.of(), new byte[] {1, 2, 3}));
    l.add(new Dir("tmp", 01777, 0, 0, t(1_600_000_004L, 4), Map.of()));
    l.add(new Dir("run", 0755, 0, 0, t(1_600_000_005L, 5), Map.of()));
    l.add(new Fifo("run/pipe", 0640, 12, 34, t(1_600_000_006L, 6)));
    l.add(new Dir("dev", 0755, 0, 0, t(1_600_000_007L, 7), Map.of()));
    l.add(new CharDevice("dev/null", 0666, 0, 0, t(1_600_000_008L, 8), 1, 3));
    l.add(new Dir("data", 0700, 4242, 4343, t(1_600_000_009L, 9), Map.of()));
    l.add(new File("data/big.bin", 0444, 4242, 4343, t(1_600_000_010L, 10), Map.of(), big));
    String deep = "data/" + "d".repeat(120) + "/file-with-a-long-path.txt";
    l.add(new Dir("data/" + "d".repeat(120), 0755, 0, 0, Instant.ofEpochSecond(1_600_000_011L), Map.of()));
    l.add(new File(deep, 0644, 0, 0, Instant.ofEpochSecond(1_600_000_012L), Map.of(), "deep\n".getBytes(StandardCharsets.UTF_8)));
    return l;
  }

  /** A small layer with one file. */
  static List<Entry> oneFile(String path, String content) {
    return List.of(new File(path, 0644, 0, 0, t(1_600_000_000L, 0), Map.of(), content.getBytes(StandardCharsets.UTF_8)));
  }

  /** The uncompressed tar of {@code entries}. */
  static byte[] tar(List<Entry> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry e : entries) {
        write(out, e);
      }
    }
    return bytes.toByteArray();
  }

  /**
   * A tar of regular files with the names exactly as given ({@code ../evil} and {@code /etc/x}
   * included), each of {@code size} zero bytes: {@code name, size, name, size...}.
   */
  static byte[] rawTar(Object... namesAndSizes) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int i = 0; i < namesAndSizes.length; i += 2) {
        TarArchiveEntry e = new TarArchiveEntry((String) namesAndSizes[i], true);
        int size = (Integer) namesAndSizes[i + 1];
        e.setSize(size);
        out.putArchiveEntry(e);
        out.write(new byte[size]);
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * A gzip layer of a file of {@code mib} MiB of zeros followed by the entries of {@code tail},
   * made of concatenated gzip members (one per MiB of zeros, about 1 KiB each), so that a bomb of
   * a GiB is quick to build and about 1 MiB small.
   */
  static byte[] gzipOfZeros(String name, int mib, byte[] tail) throws IOException {
    ByteArrayOutputStream blob = new ByteArrayOutputStream();
    TarArchiveEntry zeros = new TarArchiveEntry(name);
    zeros.setSize((long) mib << 20);
    byte[] header = new byte[512];
    zeros.writeEntryHeader(header);
    blob.writeBytes(compress(header, Compression.GZIP));
    byte[] mebibyte = compress(new byte[1 << 20], Compression.GZIP);
    for (int i = 0; i < mib; i++) {
      blob.writeBytes(mebibyte);
    }
    blob.writeBytes(compress(tail, Compression.GZIP));
    return blob.toByteArray();
  }

  /** {@code tar} compressed with {@code c}. */
  static byte[] compress(byte[] tar, Compression c) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = c.compress(bytes)) {
      out.write(tar);
    }
    return bytes.toByteArray();
  }

  private static void write(TarArchiveOutputStream out, Entry e) throws IOException {
    Map<String, String> pax = new LinkedHashMap<>();
    if (!(e instanceof HardLink) && e.mtime().getNano() != 0) {
      pax.put("mtime", e.mtime().getEpochSecond() + "." + String.format("%09d", e.mtime().getNano()));
    }
    e.xattrs().forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
    if (!pax.isEmpty()) {
      byte[] body = paxBody(pax);
      TarArchiveEntry x = new TarArchiveEntry("PaxHeaders/" + e.path(), TarConstants.LF_PAX_EXTENDED_HEADER_LC);
      x.setSize(body.length);
      out.putArchiveEntry(x);
      out.write(body);
      out.closeArchiveEntry();
    }
    TarArchiveEntry t;
    byte[] content = null;
    if (e instanceof Dir) {
      t = new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
    } else if (e instanceof File f) {
      t = new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
      content = f.content();
      t.setSize(content.length);
    } else if (e instanceof Symlink s) {
      t = new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
      t.setLinkName(s.target());
    } else if (e instanceof HardLink h) {
      t = new TarArchiveEntry(e.path(), TarConstants.LF_LINK);
      t.setLinkName(h.target());
    } else if (e instanceof Fifo) {
      t = new TarArchiveEntry(e.path(), TarConstants.LF_FIFO);
    } else if (e instanceof CharDevice c) {
      t = new TarArchiveEntry(e.path(), TarConstants.LF_CHR);
      t.setDevMajor(c.major());
      t.setDevMinor(c.minor());
    } else {
      throw new IllegalArgumentException(e.toString());
    }
    if (!(e instanceof HardLink)) {
      t.setMode(e.mode());
      t.setIds(e.uid(), e.gid());
      t.setModTime(e.mtime().getEpochSecond() * 1000);
    }
    out.putArchiveEntry(t);
    if (content != null) {
      out.write(content);
    }
    out.closeArchiveEntry();
  }

  /** PAX records: {@code "<len> <key>=<value>\n"} where len counts the whole record. */
  private static byte[] paxBody(Map<String, String> records) {
    StringBuilder b = new StringBuilder();
    records.forEach((k, v) -> {
      int rest = (" " + k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8).length;
      int len = rest + String.valueOf(rest).length();
      if (String.valueOf(len).length() != String.valueOf(rest).length()) {
        len++;
      }
      b.append(len).append(' ').append(k).append('=').append(v).append('\n');
    });
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }
}
