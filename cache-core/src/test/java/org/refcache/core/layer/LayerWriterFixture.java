package org.refcache.core.layer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.posix.FileNames;

/** A content store and a layer writer in a temporary root, and ways to look at what it wrote. */
abstract class LayerWriterFixture {
  @TempDir
  Path tmp;
  LmdbEnvironment env;
  ContentStore store;
  LayerWriter writer;
  private int unpacked;

  /** One tar entry as a reader sees it: name (text), type flag, link target, size. */
  record TarEntry(String name, char type, String link, long size) {
    @Override
    public String toString() {
      return type + " " + name + (link.isEmpty() ? "" : " -> " + link);
    }
  }

  @BeforeEach
  void openStore() throws IOException {
    env = LmdbEnvironment.open(tmp.resolve("meta"), List.of(ContentStore.DATABASE), 0);
    store = ContentStore.open(tmp.resolve("content"), env);
    writer = new LayerWriter(store);
  }

  @AfterEach
  void closeStore() {
    env.close();
  }

  byte[] blobBytes(Digest blob) throws IOException {
    try (InputStream in = store.open(blob)) {
      return in.readAllBytes();
    }
  }

  /** The uncompressed tar of a written layer. */
  byte[] tarOf(LayerWriter.WrittenLayer layer) throws IOException {
    try (InputStream in = layer.compression().decompress(store.open(layer.blob()))) {
      return in.readAllBytes();
    }
  }

  /** Unpacks a written layer with the project's unpacker, checking its diffID. */
  Path unpack(LayerWriter.WrittenLayer layer) throws IOException {
    Path target = tmp.resolve("unpacked-" + (++unpacked));
    try (InputStream in = store.open(layer.blob())) {
      new LayerUnpacker(false).unpack(in, new LayerBlob(layer.blob().toString(),
          layer.mediaType(), layer.size()), target, layer.diffId());
    }
    return target;
  }

  /** The entries of a written layer, in tar order. */
  List<TarEntry> entries(LayerWriter.WrittenLayer layer) throws IOException {
    List<TarEntry> entries = new ArrayList<>();
    try (LayerTarInputStream tar = new LayerTarInputStream(
        new java.io.ByteArrayInputStream(tarOf(layer)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        entries.add(new TarEntry(FileNames.toText(tar.name(e)), (char) e.getLinkFlag(),
            FileNames.toText(tar.linkName(e)), e.getSize()));
      }
    }
    return entries;
  }

  /** The entry names of a written layer, in tar order. */
  List<String> names(LayerWriter.WrittenLayer layer) throws IOException {
    return entries(layer).stream().map(TarEntry::name).toList();
  }

  /** What is left in the content store's ingest directory (nothing, between writes). */
  List<Path> ingestLeftovers() throws IOException {
    try (Stream<Path> s = Files.list(tmp.resolve("content").resolve("ingest"))) {
      return s.toList();
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
