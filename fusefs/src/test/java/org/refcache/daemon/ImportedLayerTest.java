package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.Compression;
import org.refcache.core.layer.MediaTypes;
import org.refcache.protocol.ControlProtocol;

/** {@code refcache import} of real layer tarballs, read back through the real FUSE mount. */
class ImportedLayerTest {
  private static ServiceFixture svc;

  @BeforeAll
  static void start() throws Exception {
    svc = ServiceFixture.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  /**
   * An import whose held state cannot be written (here a directory in the way of the temporary state
   * file; EIO or a full disk fail the same write) happens not at all: no record, nothing held; the same
   * import works once the state can be written.
   */
  @Test
  void anImportWhoseHeldStateCannotBeWrittenLeavesNoRecordAndWorksAfterwards() throws Exception {
    Path file = svc.dir.resolve("unrecorded.tar");
    Files.write(file, LayerTar.tar(LayerTar.oneFile("unrecorded", "not recorded at first\n")));
    Path state = svc.root.resolve(ServiceState.FILE);
    String ls = svc.ok("ls", "--format", "json");
    byte[] held = Files.readAllBytes(state);
    Path inTheWay = Files.createDirectories(svc.root.resolve(ServiceState.FILE + ".tmp").resolve("in-the-way"));
    ServiceFixture.Run failed;
    try {
      failed = svc.cli("import", file.toString());
    } finally {
      Files.delete(inTheWay);
      Files.delete(inTheWay.getParent());
    }

    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.out()).isEmpty();
    assertThat(failed.err()).contains("cannot write the service's state");
    assertThat(svc.ok("ls", "--format", "json")).isEqualTo(ls);
    assertThat(Files.readAllBytes(state)).isEqualTo(held);

    String id = svc.ok("import", file.toString());
    assertThat(svc.info(id).path("held").asBoolean()).isTrue();
    assertThat(Files.readString(svc.tree(id).resolve("unrecorded"))).isEqualTo("not recorded at first\n");
  }

  @Test
  void gzipLayerWithEveryEntryKindReadsBackIdenticalThroughTheMount() throws Exception {
    List<LayerTar.Entry> entries = LayerTar.everyKind();
    Path file = svc.dir.resolve("every-kind.tar.gz");
    Files.write(file, LayerTar.compress(LayerTar.tar(entries), Compression.GZIP));

    String id = svc.ok("import", "--description", "every kind", file.toString());

    assertThat(id).matches("[0-9a-z]{25}");
    JsonNode before = svc.info(id);
    assertThat(before.path("blobOnly").asBoolean()).as("lazy until first access").isTrue();
    assertThat(before.path("description").asText()).isEqualTo("every kind");
    assertThat(before.path("held").asBoolean()).isTrue();
    TreeAssertions.assertTreeMatches(svc.tree(id), entries);
    assertThat(svc.info(id).path("blobOnly").asBoolean()).as("unpacked by the access").isFalse();
  }

  /**
   * Names are bytes end to end: a layer whose names are Latin-1 (not UTF-8) shows them through the
   * mount byte for byte, two names that differ only in such bytes stay two files, and a mutable ref
   * on top renames one of them as any file.
   */
  @Test
  void namesThatAreNotUtf8ShowThroughTheMountByteForByte() throws Exception {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes,
        "ISO-8859-1")) {
      for (String name : List.of("caf\u00e9", "caf\u00e8")) { // one byte each: e9, e8
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
        byte[] content = name.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    Path file = svc.dir.resolve("latin1.tar");
    Files.write(file, bytes.toByteArray());
    String id = svc.ok("import", file.toString());

    byte[] e9 = {'c', 'a', 'f', (byte) 0xe9};
    byte[] e8 = {'c', 'a', 'f', (byte) 0xe8};
    assertThat(org.refcache.posix.Posix.list(svc.tree(id)).stream()
        .map(org.refcache.posix.FileNames::bytes)).containsExactlyInAnyOrder(e9, e8);

    String work = svc.ok("new", "--parent", id);
    Path tree = svc.tree(work);
    Path from = tree.resolve(new String(e9, java.nio.charset.Charset.defaultCharset()));
    byte[] moved = {'n', 'e', 'w', (byte) 0xff};
    org.refcache.posix.Posix.renameat2(from,
        tree.resolve(new String(moved, java.nio.charset.Charset.defaultCharset())), 0);
    assertThat(org.refcache.posix.Posix.list(tree).stream()
        .map(org.refcache.posix.FileNames::bytes)).containsExactlyInAnyOrder(moved, e8);
    // Shown to people with the byte that is not UTF-8 escaped; JSON can only hold text.
    assertThat(svc.ok("files", id).lines()).contains("caf\\xe9", "caf\\xe8");
    assertThat(svc.ok("files", "--format", "json", id)).contains("caf\uFFFD");
    // For scripts, the exact bytes.
    assertThat(svc.cli("files", "-z", id).stdout())
        .containsExactly('c', 'a', 'f', 0xe8, 0, 'c', 'a', 'f', 0xe9, 0);
  }

  @Test
  void plainGzipAndZstdTarballsOfOneLayerHaveOneDiffIdAndTheirOwnMediaTypes() throws Exception {
    byte[] tar = LayerTar.tar(LayerTar.oneFile("hello", "same content\n"));
    String[] ids = new String[3];
    Compression[] kinds = {Compression.UNCOMPRESSED, Compression.GZIP, Compression.ZSTD};
    for (int i = 0; i < kinds.length; i++) {
      Path f = svc.dir.resolve("layer-" + kinds[i]);
      Files.write(f, LayerTar.compress(tar, kinds[i]));
      ids[i] = svc.ok("import", f.toString());
    }

    assertThat(svc.info(ids[0]).path("diffId").asText()).isEqualTo(svc.info(ids[1]).path("diffId").asText())
        .isEqualTo(svc.info(ids[2]).path("diffId").asText());
    assertThat(List.of(ids)).doesNotHaveDuplicates();
    for (String id : ids) {
      assertThat(Files.readString(svc.tree(id).resolve("hello"))).isEqualTo("same content\n");
    }
    assertThat(MediaTypes.compressionOf(MediaTypes.OCI_LAYER_ZSTD)).isEqualTo(Compression.ZSTD);
  }

  @Test
  void importWithParentStacksTheLayerOverIt() throws Exception {
    Path lower = svc.dir.resolve("lower.tar");
    Files.write(lower, LayerTar.tar(LayerTar.oneFile("lower.txt", "lower\n")));
    Path upper = svc.dir.resolve("upper.tar");
    Files.write(upper, LayerTar.tar(LayerTar.oneFile("upper.txt", "upper\n")));
    String base = svc.ok("import", lower.toString());

    String top = svc.ok("import", "--parent", base, upper.toString());

    assertThat(Files.readString(svc.tree(top).resolve("lower.txt"))).isEqualTo("lower\n");
    assertThat(Files.readString(svc.tree(top).resolve("upper.txt"))).isEqualTo("upper\n");
    assertThat(svc.info(top).path("parents").get(0).asText()).isEqualTo(base);
  }

  @Test
  void filesListsTheNamesOfTheRefsOwnLayerSorted() throws Exception {
    Path lower = svc.dir.resolve("lower.tar");
    Files.write(lower, LayerTar.tar(LayerTar.oneFile("lower.txt", "lower\n")));
    Path upper = svc.dir.resolve("upper.tar");
    Files.write(upper, LayerTar.tar(LayerTar.oneFile("upper.txt", "upper\n")));
    String base = svc.ok("import", lower.toString());
    String top = svc.ok("import", "--parent", base, upper.toString());

    assertThat(svc.ok("files", top).lines().toList()).containsExactly("upper.txt");
    assertThat(svc.ok("files", base).lines().toList()).containsExactly("lower.txt");
    assertThat(svc.cli("files", "nosuchref").exit()).isEqualTo(3);
  }

  /**
   * A layer whose last entry is {@code ../evil}, behind 8 MiB of zeros: the import reads it all (it
   * stores the blob as it checks it), refuses it naming the file and the entry, exits 1 and leaves
   * no ref, no blob and no ingest file.
   */
  @Test
  void importOfALayerTheUnpackerWouldRefuseExitsOneNamingTheFileAndEntryAndStoresNothing()
      throws Exception {
    Path poisoned = svc.dir.resolve("poisoned.tar.gz");
    Files.write(poisoned, LayerTar.gzipOfZeros("zeros", 8, LayerTar.rawTar("../evil", 1)));
    int before = ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size();

    ServiceFixture.Run r = svc.cli("import", poisoned.toString());

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("layer " + poisoned + " refused: unsafe layer entry \"../evil\"");
    assertThat(ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size()).isEqualTo(before);
    String hex = org.refcache.core.digest.Digest.sha256(Files.readAllBytes(poisoned)).hex();
    assertThat(svc.root.resolve("content/blobs/sha256/" + hex)).as("the refused blob").doesNotExist();
    try (java.util.stream.Stream<Path> ingest = Files.walk(svc.root.resolve("content/ingest"))) {
      assertThat(ingest.filter(Files::isRegularFile)).as("ingest files").isEmpty();
    }
  }

  @Test
  void importOfAFileThatIsNotATarFailsAndCreatesNoRef() throws Exception {
    Path junk = svc.dir.resolve("junk.bin");
    Files.writeString(junk, "this is not a tar archive, not even close".repeat(40));
    int before = ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size();

    ServiceFixture.Run r = svc.cli("import", junk.toString());

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("not a layer tar");
    assertThat(ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size()).isEqualTo(before);
  }

  @Test
  void importOfADirectoryIsAUsageErrorAndCreatesNoRef() throws Exception {
    Path dir = Files.createDirectories(svc.dir.resolve("a-directory.tar"));
    int before = ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size();

    ServiceFixture.Run r = svc.cli("import", dir.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains(dir + " is not a regular file");
    assertThat(ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).size()).isEqualTo(before);
  }
}
