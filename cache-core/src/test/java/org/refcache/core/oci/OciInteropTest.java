package org.refcache.core.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.ReadableTree;
import org.refcache.core.layer.TreeListing;
import org.refcache.core.overlay.OverlayReadableTree;
import org.refcache.core.overlay.OverlayTree;

/**
 * Layouts are exchanged with tools no one here wrote (Debian's skopeo and umoci, installed by
 * scripts/install-deps.sh): they read what the writer exports and unpack it to the source tree,
 * and what they write the reader reads and the project's unpacker unpacks to the same tree.
 * Runs as root (umoci unpack keeps owners only then).
 */
class OciInteropTest extends OciFixture {
  @Test
  void skopeoInspectAcceptsAnExportedLayout() throws Exception {
    Path dir = export("v1", Compression.GZIP);
    OciImage image = OciLayoutReader.open(dir).image("v1");

    Result inspected = run("skopeo", "inspect", "oci:" + dir + ":v1");

    assertThat(inspected.exit).as(inspected.stderr).isZero();
    JsonNode json = JSON.readTree(inspected.stdout);
    List<String> layers = new ArrayList<>();
    json.get("Layers").forEach(l -> layers.add(l.asText()));
    assertThat(layers).containsExactly(image.layers().get(0).blob().digest().toString(),
        image.layers().get(1).blob().digest().toString());
    assertThat(json.get("Os").asText()).isEqualTo("linux");
    assertThat(json.get("Architecture").asText())
        .isEqualTo(OciDescriptor.Platform.current().architecture());
    assertThat(json.get("Digest").asText()).isEqualTo(image.manifest().digest().toString());
  }

  @Test
  void skopeoInspectAcceptsTheDefaultTag() throws Exception {
    Path dir = export(OciLayoutWriter.DEFAULT_TAG, Compression.ZSTD);

    Result inspected = run("skopeo", "inspect", "oci:" + dir);

    assertThat(inspected.exit).as(inspected.stderr).isZero();
  }

  @Test
  void umociUnpacksAnExportedLayoutToTheSourceTree() throws Exception {
    for (Compression compression : List.of(Compression.GZIP, Compression.UNCOMPRESSED)) {
      Path dir = export("t-" + compression.name().toLowerCase(), compression);
      Path bundle = tmp.resolve("bundle-" + compression.name().toLowerCase());

      Result unpacked = run("umoci", "unpack", "--image",
          dir + ":t-" + compression.name().toLowerCase(), bundle.toString());

      assertThat(unpacked.exit).as(unpacked.stderr).isZero();
      assertThat(TreeListing.of(ReadableTree.directory(bundle.resolve("rootfs")), false))
          .isEqualTo(TreeListing.of(ReadableTree.directory(upperTree), false));
    }
  }

  /**
   * umoci writes whole-second times (Go's tar without PAX), so the tree it packs has them: the
   * comparison then covers times too.
   */
  @Test
  void aLayoutMadeByUmociIsReadAndItsLayersUnpackToTheTree() throws Exception {
    Path tree = tmp.resolve("whole-seconds");
    buildTree(tree, false, Instant.ofEpochSecond(1_700_000_000L));
    Path dir = tmp.resolve("umoci-layout");
    Path bundle = tmp.resolve("umoci-bundle");
    assertSucceeds(run("umoci", "init", "--layout", dir.toString()));
    assertSucceeds(run("umoci", "new", "--image", dir + ":made"));
    assertSucceeds(run("umoci", "unpack", "--image", dir + ":made", bundle.toString()));
    assertSucceeds(run("cp", "-a", tree + "/.", bundle.resolve("rootfs").toString()));
    assertSucceeds(run("umoci", "repack", "--image", dir + ":made", bundle.toString()));

    OciLayoutReader reader = OciLayoutReader.open(dir);
    OciImage image = reader.image("made");

    assertThat(image.layers()).hasSize(1);
    assertThat(image.layers().get(0).blob().mediaType())
        .isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
    Path layer = unpack(reader, image.layers().get(0));
    assertThat(TreeListing.of(new OverlayReadableTree(new OverlayTree(List.of(layer))), false))
        .isEqualTo(TreeListing.of(ReadableTree.directory(tree), false));
  }

  /**
   * {@code umoci insert} (0.4.7, Debian's) leaves the tar footer out of the layers it writes
   * (umoci issue 436, fixed in 0.4.8 by PR 534): GNU tar and the project's unpacker refuse such
   * a layer as truncated. The layout itself reads, and each blob is the one named.
   */
  @Test
  void aLayoutMadeByUmociInsertIsRead() throws Exception {
    Path dir = tmp.resolve("umoci-layout");
    assertSucceeds(run("umoci", "init", "--layout", dir.toString()));
    assertSucceeds(run("umoci", "new", "--image", dir + ":made"));
    assertSucceeds(run("umoci", "insert", "--image", dir + ":made", lowerTree.toString(), "/opt"));

    OciLayoutReader reader = OciLayoutReader.open(dir);
    OciImage image = reader.image("made");

    assertThat(image.layers()).hasSize(1);
    assertThat(image.imageConfig().history()).extracting(ImageConfig.History::createdBy)
        .containsExactly("umoci insert");
    try (InputStream in = reader.openBlob(image.layers().get(0).blob())) {
      in.transferTo(OutputStream.nullOutputStream()); // verified at its end
    }
  }

  static void assertSucceeds(Result r) {
    assertThat(r.exit).as(r.stderr).isZero();
  }

  @Test
  void aLayoutCopiedBySkopeoIsReadAndUnpacksToTheTree() throws Exception {
    Path source = export("src", Compression.GZIP);
    Path copy = tmp.resolve("copy");

    Result copied = run("skopeo", "copy", "oci:" + source + ":src", "oci:" + copy + ":copied");
    assertThat(copied.exit).as(copied.stderr).isZero();

    OciLayoutReader reader = OciLayoutReader.open(copy);
    OciImage image = reader.image("copied");
    Path base = unpack(reader, image.layers().get(0));
    Path top = unpack(reader, image.layers().get(1));
    assertThat(TreeListing.of(new OverlayReadableTree(new OverlayTree(List.of(top, base))), false))
        .isEqualTo(TreeListing.of(ReadableTree.directory(upperTree), false));
  }

  record Result(int exit, String stdout, String stderr) {
  }

  static Result run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    byte[] stdout = p.getInputStream().readAllBytes();
    byte[] stderr = p.getErrorStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
        new String(stderr, StandardCharsets.UTF_8));
  }
}
