package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

/**
 * GNU tar, which no one here wrote, reads the layers: it lists every entry without a warning
 * and, as root, extracts a tree equal to the source (owners, modes, nanosecond times, xattrs,
 * hard links, long and non-ASCII names).
 */
class GnuTarReadsLayersTest extends LayerWriterFixture {

  @Test
  void gnuTarListsEveryEntryWithoutComplaint() throws Exception {
    SourceTree t = new LayerWriterTest().everyKind(tmp.resolve("upper"));
    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.GZIP);
    Path file = Files.write(tmp.resolve("layer.tar.gz"), blobBytes(layer.blob()));

    Result listed = run("tar", "-tvzf", file.toString());

    assertThat(listed.stderr).isEmpty();
    assertThat(listed.exit).isZero();
    assertThat(listed.stdout.lines().count()).isEqualTo(entries(layer).size());
    assertThat(listed.stdout).contains(LayerWriterTest.LONG_FILE, "caf\u00e9",
        "etc/config-link link to etc/config", "etc/link -> /does/not/exist", ".wh.gone",
        "opaque/.wh..wh..opq", "3000000/4000000");
  }

  @Test
  void gnuTarExtractsTheSameTree() throws Exception {
    SourceTree t = new SourceTree(tmp.resolve("tree"));
    t.dir("etc", 0750, 1234, 5678)
        .file("etc/config", bytes("key=value\n"), 0640, 1234, 5678)
        .xattr("etc/config", "user.comment", bytes("hello"))
        .hardLink("etc/config-link", "etc/config")
        .symlink("etc/link", "/does/not/exist", 7, 8)
        .file("setuid", bytes("#!"), 04755, 0, 0)
        .xattr("setuid", "security.capability", LayerWriterTest.CAPABILITY)
        .dir("deep").dir(LayerWriterTest.LONG_DIR).file(LayerWriterTest.LONG_FILE, "long")
        .file(LayerWriterTest.UTF8_NAME, "utf-8").fifo("fifo").charDevice("null", 1, 3)
        .touch(LayerWriterTest.LONG_DIR).touch("deep").touch("etc");
    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofTree(ReadableTree.directory(t.root())), Compression.UNCOMPRESSED);
    Path file = Files.write(tmp.resolve("layer.tar"), tarOf(layer));
    Path out = Files.createDirectory(tmp.resolve("extracted"));

    Result extracted = run("tar", "--xattrs", "--xattrs-include=*", "--same-owner", "-xpf",
        file.toString(), "-C", out.toString());

    assertThat(extracted.stderr).isEmpty();
    assertThat(extracted.exit).isZero();
    assertThat(TreeListing.of(out)).isEqualTo(TreeListing.of(t.root()));
    assertThat(Digest.sha256(tarOf(layer))).isEqualTo(layer.diffId());
  }

  record Result(int exit, String stdout, String stderr) {
  }

  static Result run(String... command) throws Exception {
    Process p = new ProcessBuilder(List.of(command)).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    byte[] stderr = p.getErrorStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
        new String(stderr, StandardCharsets.UTF_8));
  }
}
