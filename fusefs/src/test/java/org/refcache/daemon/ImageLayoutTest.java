package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;
import org.refcache.protocol.ControlProtocol;
import org.refcache.testing.TreeSnapshot;

/**
 * {@code refcache export} and {@code import-oci} against tools no one here wrote (Debian's skopeo and
 * umoci, installed by scripts/install-deps.sh): skopeo reads what export writes, umoci unpacks it to
 * the ref's tree, and what umoci writes imports back to the tree umoci unpacks. Runs as root.
 */
class ImageLayoutTest {
  private static final String LONG_NAME = "n".repeat(120);

  private ServiceFixture svc;
  private String built;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
    Path layer = svc.dir.resolve("base.tar");
    Files.write(layer, LayerTar.tar(List.of(LayerTar.oneFile("keep.txt", "from the base\n").get(0),
        LayerTar.oneFile("gone.txt", "deleted above\n").get(0))));
    String base = svc.ok("import", layer.toString());
    String mutable = svc.ok("new", "--parent", base, "--description", "build step");
    Path tree = svc.tree(mutable);
    Files.createDirectories(tree.resolve("dir/sub"));
    Files.writeString(tree.resolve("dir/sub/file"), "deep\n");
    Files.writeString(tree.resolve("script.sh"), "#!/bin/sh\necho hi\n");
    Posix.chmod(tree.resolve("script.sh"), 0755);
    Files.write(tree.resolve("empty"), new byte[0]);
    Files.writeString(tree.resolve(LONG_NAME), "a long name\n");
    Files.createSymbolicLink(tree.resolve("link"), Path.of("dir/sub/file"));
    Files.createLink(tree.resolve("hard"), tree.resolve("script.sh"));
    Xattrs.lsetxattr(tree.resolve("empty"), "user.note", "kept".getBytes(StandardCharsets.UTF_8), 0);
    Files.delete(tree.resolve("gone.txt"));
    built = svc.ok("commit", mutable);
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  record Result(int exit, String out, String err) {}

  private Result run(String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(svc.dir, "out", ".txt");
    Path err = Files.createTempFile(svc.dir, "err", ".txt");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not end");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private Result ok(String... command) throws IOException, InterruptedException {
    Result r = run(command);
    assertThat(r.exit()).as(String.join(" ", command) + ": " + r.err()).isZero();
    return r;
  }

  /** What a tree shows, entry by entry, as two copies of it must agree (symlinks' own times aside). */
  private static Map<String, String> observed(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    TreeSnapshot.ofDirectory(root, false).forEach((path, e) -> out.put(path, e.describeWithoutTime()
        + (e.type() == Posix.S_IFLNK ? "" : " mtime=" + e.mtime())));
    return out;
  }

  private Path unpack(Path layout, String tag) throws Exception {
    Path bundle = svc.dir.resolve("bundle-" + layout.getFileName() + "-" + tag);
    ok("umoci", "unpack", "--image", layout + ":" + tag, bundle.toString());
    return bundle.resolve("rootfs");
  }

  @Test
  void skopeoReadsTheExportAndUmociUnpacksItToTheRefsTree() throws Exception {
    Path layout = svc.dir.resolve("layout");

    String manifest = svc.ok("export", built, layout.toString());

    JsonNode inspected = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "oci:" + layout + ":latest").out());
    assertThat(inspected.get("Digest").asText()).isEqualTo(manifest);
    assertThat(inspected.get("Layers")).hasSize(2);
    JsonNode raw = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "--raw", "oci:" + layout).out());
    assertThat(raw.get("layers").get(1).get("mediaType").asText())
        .isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
    JsonNode config = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "--config", "oci:" + layout).out());
    assertThat(config.get("rootfs").get("diff_ids")).hasSize(2);
    assertThat(config.get("history")).hasSize(2);
    assertThat(config.get("history").get(1).get("created_by").asText()).contains(built).contains("build step");

    Path rootfs = unpack(layout, "latest");
    assertThat(observed(rootfs)).isEqualTo(observed(svc.tree(built))).containsKey(LONG_NAME)
        .doesNotContainKey("gone.txt");
  }

  @Test
  void anExportWithATagAndACompressionIsThatCompressionThroughoutAndExportingAgainChangesNothing()
      throws Exception {
    Path layout = svc.dir.resolve("layout");

    String zstd = svc.ok("export", "--compression", "zstd", built, layout + ":v1");
    String plain = svc.ok("export", "--compression", "uncompressed", built, layout + ":v2");

    JsonNode z = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "--raw", "oci:" + layout + ":v1").out());
    assertThat(z.get("layers")).hasSize(2).allSatisfy(l -> assertThat(l.get("mediaType").asText())
        .isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd"));
    JsonNode u = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "--raw", "oci:" + layout + ":v2").out());
    assertThat(u.get("layers")).hasSize(2).allSatisfy(l -> assertThat(l.get("mediaType").asText())
        .isEqualTo("application/vnd.oci.image.layer.v1.tar"));
    assertThat(observed(unpack(layout, "v2"))).isEqualTo(observed(svc.tree(built)));
    assertThat(svc.ok("export", "--compression", "zstd", built, layout + ":v1")).isEqualTo(zstd);
    assertThat(plain).isNotEqualTo(zstd);
    // A layout umoci cannot read (zstd is newer than Debian's umoci) still imports back to the same tree.
    String imported = svc.ok("import-oci", layout + ":v1");
    assertThat(observed(svc.tree(imported))).isEqualTo(observed(svc.tree(built)));
  }

  @Test
  void importingTheExportFindsTheExportedRefsRecordsAgain() throws Exception {
    Path layout = svc.dir.resolve("layout");
    svc.ok("export", built, layout.toString());

    String imported = svc.ok("import-oci", layout.toString());

    // Same blob chain, same record (spec 6.5).
    assertThat(imported).isEqualTo(built);
  }

  @Test
  void aLayoutUmociMadeImportsToTheTreeUmociUnpacks() throws Exception {
    Path layout = svc.dir.resolve("umoci-layout");
    Path bundle = svc.dir.resolve("umoci-bundle");
    ok("umoci", "init", "--layout", layout.toString());
    ok("umoci", "new", "--image", layout + ":t");
    ok("umoci", "unpack", "--image", layout + ":t", bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    Files.createDirectories(rootfs.resolve("etc/conf.d"));
    Files.writeString(rootfs.resolve("etc/conf.d/a.conf"), "a=1\n");
    Files.writeString(rootfs.resolve("etc/gone"), "removed in the second layer\n");
    Files.writeString(rootfs.resolve("tool"), "binary\n");
    Posix.chmod(rootfs.resolve("tool"), 0750);
    Posix.lchown(rootfs.resolve("tool"), 1000, 1000);
    Files.createSymbolicLink(rootfs.resolve("etc/link"), Path.of("conf.d/a.conf"));
    Files.createLink(rootfs.resolve("tool2"), rootfs.resolve("tool"));
    ok("umoci", "repack", "--image", layout + ":t", bundle.toString());
    // A second layer: repack diffs against the image the bundle was unpacked from, so unpack again.
    Path bundle2 = svc.dir.resolve("umoci-bundle2");
    ok("umoci", "unpack", "--image", layout + ":t", bundle2.toString());
    Path rootfs2 = bundle2.resolve("rootfs");
    Files.delete(rootfs2.resolve("etc/gone"));
    Files.writeString(rootfs2.resolve("etc/conf.d/a.conf"), "a=2\n");
    ok("umoci", "repack", "--image", layout + ":t", bundle2.toString());
    Path reference = unpack(layout, "t");

    String imported = svc.ok("import-oci", layout + ":t");

    JsonNode info = ControlProtocol.JSON.readTree(svc.ok("info", "--format", "json", imported));
    assertThat(info.path("parents")).hasSize(1);
    assertThat(observed(svc.tree(imported))).isEqualTo(observed(reference)).containsKey("tool2")
        .doesNotContainKey("etc/gone");
  }

  @Test
  void aDockerArchiveImportsToTheSameTree() throws Exception {
    Path layout = svc.dir.resolve("layout");
    svc.ok("export", built, layout.toString());
    Path archive = svc.dir.resolve("image.tar");
    ok("skopeo", "copy", "oci:" + layout + ":latest", "docker-archive:" + archive + ":registry.test/example/app:v1");

    String imported = svc.ok("import-oci", archive.toString());

    assertThat(observed(svc.tree(imported))).isEqualTo(observed(svc.tree(built)));
    // A tag names an image by the name the archive records (RepoTags).
    assertThat(svc.ok("import-oci", archive + ":registry.test/example/app:v1")).isEqualTo(imported);
    ServiceFixture.Run missing = svc.cli("import-oci", archive + ":registry.test/example/app:v2");
    assertThat(missing.exit()).as(missing.err()).isEqualTo(3);
  }

  @Test
  void badRequestsAndBadLayoutsFailWithTheirExitStatusAndSayWhat() throws Exception {
    Path layout = svc.dir.resolve("layout");
    svc.ok("export", built, layout.toString());

    ServiceFixture.Run unknownRef = svc.cli("export", "zzzzzzzzzzzzzzzzzzzzzzzzz", svc.dir.resolve("x").toString());
    assertThat(unknownRef.exit()).as(unknownRef.err()).isEqualTo(3);
    ServiceFixture.Run badCompression = svc.cli("export", "--compression", "brotli", built, layout.toString());
    assertThat(badCompression.exit()).as(badCompression.err()).isEqualTo(2);
    ServiceFixture.Run badTag = svc.cli("export", built, layout + ":no spaces");
    assertThat(badTag.exit()).as(badTag.err()).isEqualTo(2);
    assertThat(badTag.err()).contains("not a valid image tag");
    ServiceFixture.Run noDir = svc.cli("import-oci", svc.dir.resolve("nowhere").toString());
    assertThat(noDir.exit()).as(noDir.err()).isEqualTo(3);
    ServiceFixture.Run noTag = svc.cli("import-oci", layout + ":v9");
    assertThat(noTag.exit()).as(noTag.err()).isEqualTo(3);
    assertThat(noTag.err()).contains("v9");
    Path notLayout = Files.createDirectories(svc.dir.resolve("plain"));
    Files.writeString(notLayout.resolve("file"), "x");
    ServiceFixture.Run plain = svc.cli("import-oci", notLayout.toString());
    assertThat(plain.exit()).as(plain.err()).isEqualTo(1);
    assertThat(plain.err()).contains("not an OCI image layout");
    ServiceFixture.Run exportIntoPlain = svc.cli("export", built, notLayout.toString());
    assertThat(exportIntoPlain.exit()).as(exportIntoPlain.err()).isEqualTo(1);
    assertThat(exportIntoPlain.err()).contains("not empty");

    // A layer blob altered, then missing: the blob is named, nothing is imported.
    JsonNode inspected = ControlProtocol.JSON.readTree(ok("skopeo", "inspect", "oci:" + layout).out());
    String top = inspected.get("Layers").get(1).asText();
    Path blob = layout.resolve("blobs/sha256").resolve(top.substring("sha256:".length()));
    Path other = svc.dir.resolve("other-layout");
    copyTree(layout, other);
    Path otherBlob = other.resolve("blobs/sha256").resolve(top.substring("sha256:".length()));
    byte[] bytes = Files.readAllBytes(otherBlob);
    bytes[bytes.length / 2] ^= 1;
    Files.write(otherBlob, bytes);
    // The store has the exported ref's blob and would not read it again: let it go first.
    svc.ok("release", built);
    svc.ok("prune", "--all");
    List<String> before = ids();
    ServiceFixture.Run corrupt = svc.cli("import-oci", other.toString());
    assertThat(corrupt.exit()).as(corrupt.err()).isEqualTo(1);
    assertThat(corrupt.err()).contains(top);
    Files.delete(otherBlob);
    ServiceFixture.Run missing = svc.cli("import-oci", other.toString());
    assertThat(missing.exit()).as(missing.err()).isEqualTo(1);
    assertThat(missing.err()).contains("missing").contains(otherBlob.getFileName().toString());
    assertThat(ids()).as("nothing imported").isEqualTo(before);
    assertThat(Files.exists(blob)).isTrue();
  }

  private List<String> ids() throws Exception {
    List<String> out = new ArrayList<>();
    ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).forEach(r -> out.add(r.path("id").asText()));
    return out;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
