package org.refcache.core.cache;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.MediaTypes;

/** Builds small layer blobs for the tests and stores them. */
final class Layers {
  private Layers() {}

  /** An uncompressed tar of regular files (name -> content). */
  static byte[] tar(Map<String, String> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> f : files.entrySet()) {
        byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(data.length);
        e.setMode(0100644);
        // Not the entry's default (now): the same files must make the same bytes whenever they
        // are made, or two layers made a second apart differ (tests that expect one blob flaked).
        e.setModTime(0L);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  /**
   * An uncompressed tar of regular files with an entry (0755, root, mtime 0) for each of their
   * parent directories before them, as layers written by differs of whole trees have: a layer
   * without them says nothing of those directories (the layers below do).
   */
  static byte[] tarWithDirectories(Map<String, String> files) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    java.util.Set<String> dirs = new java.util.HashSet<>();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Map.Entry<String, String> f : files.entrySet()) {
        String name = f.getKey();
        for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
          String dir = name.substring(0, slash + 1);
          if (dirs.add(dir)) {
            TarArchiveEntry d = new TarArchiveEntry(dir);
            d.setMode(040755);
            d.setModTime(0);
            tar.putArchiveEntry(d);
            tar.closeArchiveEntry();
          }
        }
        byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setMode(0100644);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static Map<String, String> files(String... nameThenContent) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < nameThenContent.length; i += 2) {
      m.put(nameThenContent[i], nameThenContent[i + 1]);
    }
    return m;
  }

  /** A layer: its blob bytes and its descriptor. */
  record Blob(byte[] bytes, Descriptor desc) {
    InputStream open() {
      return new java.io.ByteArrayInputStream(bytes);
    }

    Digest digest() {
      return desc.digest();
    }

    /** Puts the blob into the content store. */
    Blob store(ContentStore cs) throws IOException {
      cs.ingest("test-" + digest().encoded(), open(), bytes.length, digest(), Map.of());
      return this;
    }
  }

  static Blob uncompressed(Map<String, String> files) throws IOException {
    byte[] t = tar(files);
    Digest d = Digest.sha256(t);
    return new Blob(t, Descriptor.layer(MediaTypes.OCI_LAYER, d, t.length, d));
  }

  /** {@link #gzipped} with entries for the files' parent directories ({@link #tarWithDirectories}). */
  static Blob gzippedWithDirectories(Map<String, String> files) throws IOException {
    byte[] t = tarWithDirectories(files);
    byte[] gz = gzip(t);
    return new Blob(gz, Descriptor.layer(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(gz), gz.length, Digest.sha256(t)));
  }

  static Blob gzipped(Map<String, String> files) throws IOException {
    byte[] t = tar(files);
    byte[] gz = gzip(t);
    return new Blob(gz, Descriptor.layer(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(gz), gz.length, Digest.sha256(t)));
  }
}
