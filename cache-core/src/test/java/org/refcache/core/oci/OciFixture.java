package org.refcache.core.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.content.ContentStore;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.LayerBlob;
import org.refcache.core.layer.LayerChanges;
import org.refcache.core.layer.LayerUnpacker;
import org.refcache.core.layer.LayerWriter;
import org.refcache.core.layer.ReadableTree;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * A content store with two layers written by the layer writer from real trees (a base tree and
 * a change with a whiteout and an opaque directory), and helpers to export them, unpack them and
 * run tools.
 */
abstract class OciFixture {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant CREATED = Instant.parse("2024-03-04T05:06:07.123456789Z");

  @TempDir
  Path tmp;
  LmdbEnvironment env;
  ContentStore store;
  Path lowerTree;
  Path upperTree;
  private int unpacked;

  @BeforeEach
  void openStore() throws IOException {
    env = LmdbEnvironment.open(tmp.resolve("meta"), List.of(ContentStore.DATABASE), 0);
    store = ContentStore.open(tmp.resolve("content"), env);
    lowerTree = tmp.resolve("lower");
    upperTree = tmp.resolve("upper");
    buildTree(lowerTree, false, CREATED);
    buildTree(upperTree, true, CREATED);
  }

  @AfterEach
  void closeStore() {
    env.close();
  }

  /**
   * The base tree; with {@code changed}, the same with changes a second layer must carry. Times
   * are {@code time} and seconds after it.
   */
  static void buildTree(Path root, boolean changed, Instant time) throws IOException {
    Posix.mkdir(root, 0755);
    mkdir(root, "etc", 0755, 0, 0);
    file(root, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0, time);
    file(root, "etc/shadow", "root:*:1::::::\n", 0640, 0, 42, time);
    Xattrs.lsetxattr(root.resolve("etc/shadow"), "user.origin", new byte[] {'b', 'a', 's', 'e'}, 0);
    mkdir(root, "home", 0755, 0, 0);
    mkdir(root, "home/user", 0700, 1000, 1000);
    file(root, "home/user/notes", "hello", 0600, 1000, 1000, time);
    file(root, "home/user/old", "old", 0600, 1000, 1000, time);
    mkdir(root, "usr", 0755, 0, 0);
    mkdir(root, "usr/bin", 0755, 0, 0);
    file(root, "usr/bin/tool", "#!/bin/sh\necho tool\n", 04755, 0, 0, time);
    Posix.symlink("tool", root.resolve("usr/bin/alias"));
    Posix.utimens(root.resolve("usr/bin/alias"), time, time, true);
    Posix.link(root.resolve("usr/bin/tool"), root.resolve("usr/bin/tool-hardlink"));
    mkdir(root, "var", 0755, 0, 0);
    mkdir(root, "var/cache", 0755, 0, 0);
    file(root, "var/cache/a", "a", 0644, 0, 0, time);
    file(root, "var/cache/b", "b", 0644, 0, 0, time);
    if (changed) {
      file(root, "etc/passwd", "root:x:0:0::/root:/bin/bash\nuser:x:1000:1000::/home/user:\n",
          0644, 0, 0, time);
      Posix.delete(root.resolve("home/user/old"));
      file(root, "home/user/new", "new", 0600, 1000, 1000, time);
      Posix.delete(root.resolve("var/cache/a"));
      Posix.delete(root.resolve("var/cache/b"));
      file(root, "var/cache/c", "c", 0644, 0, 0, time);
      Posix.symlink("passwd", root.resolve("etc/link"));
      Posix.utimens(root.resolve("etc/link"), time, time, true);
    }
    // Directories last, so their times are their own.
    for (String dir : List.of("home/user", "var/cache", "etc", "usr/bin", "usr", "var", "home")) {
      Posix.utimens(root.resolve(dir), time, time, true);
    }
  }

  static void mkdir(Path root, String path, int mode, int uid, int gid) throws IOException {
    Posix.mkdir(root.resolve(path), 0700);
    Posix.lchown(root.resolve(path), uid, gid);
    Posix.chmod(root.resolve(path), mode);
  }

  static void file(Path root, String path, String content, int mode, int uid, int gid,
      Instant time) throws IOException {
    Path p = root.resolve(path);
    int fd = Descriptors.open(p, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC, 0600);
    try {
      byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
      Descriptors.writeFully(fd, bytes, bytes.length, path);
    } finally {
      Descriptors.close(fd);
    }
    Posix.lchown(p, uid, gid);
    Posix.chmod(p, mode);
    Posix.utimens(p, time.plusSeconds(path.length()), time, true);
  }

  /** The two layers (base, then the changes) written into the store. */
  List<ImageLayer> writeLayers(Compression compression) throws IOException {
    LayerWriter writer = new LayerWriter(store);
    List<ImageLayer> layers = new ArrayList<>();
    for (LayerChanges changes : List.of(
        LayerChanges.ofTree(ReadableTree.directory(lowerTree)),
        LayerChanges.diff(ReadableTree.directory(lowerTree), ReadableTree.directory(upperTree)))) {
      LayerWriter.WrittenLayer w = writer.write(changes, compression);
      layers.add(new ImageLayer(OciDescriptor.of(w.mediaType(), w.blob(), w.size()), w.diffId()));
    }
    return layers;
  }

  /** The two layers in an image layout at {@code tmp/layout}, tagged {@code tag}; the layout. */
  Path export(String tag, Compression compression) throws IOException {
    List<ImageLayer> layers = writeLayers(compression);
    Path dir = tmp.resolve("layout");
    OciLayoutWriter.open(dir).writeImage(tag, configOf(layers), layers, store);
    return dir;
  }

  static ImageConfig configOf(List<ImageLayer> layers) {
    List<Digest> diffIds = layers.stream().map(ImageLayer::diffId).toList();
    List<String> history = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      history.add("refcache layer " + i);
    }
    return ImageConfig.of(diffIds, history, CREATED);
  }

  /** Unpacks a layer from {@code source} with the project's unpacker, checking its diffID. */
  Path unpack(BlobSource source, ImageLayer layer) throws IOException {
    Path target = tmp.resolve("layer-" + (++unpacked));
    try (InputStream in = source.openBlob(layer.blob())) {
      new LayerUnpacker(false).unpack(in, new LayerBlob(layer.blob().digest().toString(),
          layer.blob().mediaType(), layer.blob().size()), target, layer.diffId());
    }
    return target;
  }
}
