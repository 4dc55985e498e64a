package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.core.content.ContentInfo;
import org.refcache.core.digest.Digest;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;

/**
 * Layers written from overlay uppers: every kind of entry survives a write and an unpack with
 * the project's own unpacker, the same tree gives the same bytes, and the blob lands in the
 * content store verified and labelled.
 */
class LayerWriterTest extends LayerWriterFixture {
  /** A version-2 file capability with bytes above 0x7f: not valid UTF-8. */
  static final byte[] CAPABILITY = {1, 0, 0, 2, (byte) 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0};
  static final String LONG_DIR = "deep/" + "d".repeat(120);
  static final String LONG_FILE = LONG_DIR + "/" + "f".repeat(200);
  /** {@code café} in UTF-8, as a byte string. */
  static final String UTF8_NAME = FileNames.fromText("caf\u00e9");
  /** A name whose bytes are not UTF-8. */
  static final String BINARY_NAME = new String(new byte[] {'b', 'i', 'n', '-', (byte) 0xff},
      Charset.defaultCharset());
  static final Instant WHOLE_SECOND = Instant.ofEpochSecond(1_000_000_000L);

  /** An upper with one entry of every kind and every piece of metadata a layer keeps. */
  SourceTree everyKind(Path root) throws IOException {
    byte[] big = new byte[300_000];
    new Random(42).nextBytes(big);
    SourceTree t = new SourceTree(root);
    t.dir("etc", 0750, 1234, 5678)
        .file("etc/config", bytes("key=value\n"), 0640, 1234, 5678)
        .xattr("etc/config", "user.comment", bytes("hello"))
        .hardLink("etc/config-link", "etc/config")
        .symlink("etc/link", "/does/not/exist", 7, 8)
        .dir("usr").dir("usr/bin")
        .file("usr/bin/su", bytes("#!setuid"), 04755, 0, 0)
        .file("usr/bin/ping", bytes("ping"), 0755, 0, 0)
        .xattr("usr/bin/ping", "security.capability", CAPABILITY)
        .file("usr/bin/big", big, 0644, 3_000_000, 4_000_000)
        .file("usr/bin/empty", new byte[0], 0600, 0, 0)
        .times("usr/bin/empty", WHOLE_SECOND)
        .touch("usr/bin").touch("usr")
        .dir("var").dir("var/mail", 02755, 0, 8).dir("tmp", 01777, 0, 0)
        .dir("run").fifo("run/fifo")
        .dir("dev").charDevice("dev/null", 1, 3)
        .dir("deep").dir(LONG_DIR).file(LONG_FILE, "long")
        .file(UTF8_NAME, "utf-8 name").file(BINARY_NAME, "binary name")
        .symlink("binary-target", BINARY_NAME)
        .whiteout("gone")
        .dir("opaque").opaque("opaque").file("opaque/kept", "kept")
        .dir("replaced").whiteout("replaced/old")
        .touch("opaque").touch("replaced").touch(LONG_DIR).touch("deep").touch("etc").touch("var")
        .touch("run").touch("dev");
    return t;
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void anUpperUnpacksToTheSameTree(Compression compression) throws IOException {
    Path upper = everyKind(tmp.resolve("upper")).root();

    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.ofUpper(upper), compression);
    Path unpacked = unpack(layer);

    assertThat(TreeListing.of(unpacked)).isEqualTo(TreeListing.of(upper));
    assertThat(OverlayFormat.isOpaque(unpacked.resolve("opaque"))).isTrue();
    assertThat(OverlayFormat.isWhiteout(Posix.lstat(unpacked.resolve("gone")))).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void theSameTreeGivesTheSameBytesAndSoDoesItsUnpackedCopy(Compression compression)
      throws IOException {
    Path upper = everyKind(tmp.resolve("upper")).root();

    LayerWriter.WrittenLayer first = writer.write(LayerChanges.ofUpper(upper), compression);
    LayerWriter.WrittenLayer again = writer.write(LayerChanges.ofUpper(upper), compression);
    // Other inodes, other atimes and ctimes, other directory order on disk: same bytes.
    LayerWriter.WrittenLayer copy = writer.write(LayerChanges.ofUpper(unpack(first)),
        compression);

    assertThat(again).isEqualTo(first);
    assertThat(copy).isEqualTo(first);
  }

  @Test
  void whiteoutsAndOpaqueMarkersSpelledAsNamesGiveTheSameLayerAsDevicesAndXattrs()
      throws IOException {
    Instant t = Instant.parse("2020-01-01T00:00:00.5Z");
    SourceTree devices = new SourceTree(tmp.resolve("devices"))
        .whiteout("gone").dir("opaque").opaque("opaque").file("opaque/kept", "kept");
    SourceTree names = new SourceTree(tmp.resolve("names"))
        .file(".wh.gone", "").dir("opaque").file("opaque/.wh..wh..opq", "")
        .file("opaque/kept", "kept");
    for (SourceTree s : List.of(devices, names)) {
      s.times("opaque/kept", t).times("opaque", t);
    }

    LayerWriter.WrittenLayer fromDevices =
        writer.write(LayerChanges.ofUpper(devices.root()), Compression.UNCOMPRESSED);
    LayerWriter.WrittenLayer fromNames =
        writer.write(LayerChanges.ofUpper(names.root()), Compression.UNCOMPRESSED);

    assertThat(names(fromDevices))
        .containsExactly(".wh.gone", "opaque/", "opaque/.wh..wh..opq", "opaque/kept");
    assertThat(fromNames.diffId()).isEqualTo(fromDevices.diffId());
  }

  @Test
  void entriesAreSortedWithTheOpaqueMarkerRightAfterItsDirectoryAndNoRootEntry()
      throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("upper"))
        .file("b", "b").dir("a").file("a/z", "z").file("a/+", "+").opaque("a")
        .whiteout("c").file("A", "A");

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.UNCOMPRESSED);

    assertThat(names(layer))
        .containsExactly("A", "a/", "a/.wh..wh..opq", "a/+", "a/z", "b", ".wh.c");
  }

  @Test
  void aSecondNameOfAHardLinkedFileIsALinkEntry() throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("upper"))
        .dir("x").file("x/one", "shared").hardLink("a-two", "x/one").hardLink("x/zz", "x/one");

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.UNCOMPRESSED);

    assertThat(entries(layer)).extracting(TarEntry::toString)
        .containsExactly("0 a-two", "5 x/", "1 x/one -> a-two", "1 x/zz -> a-two");
    Path unpacked = unpack(layer);
    assertThat(Posix.lstat(unpacked.resolve("x/zz")).ino())
        .isEqualTo(Posix.lstat(unpacked.resolve("a-two")).ino());
    assertThat(Posix.lstat(unpacked.resolve("a-two")).nlink()).isEqualTo(3);
  }

  @Test
  void longAndNonAsciiNamesAndLinkTargetsAreKeptByteForByte() throws IOException {
    String longTarget = "t".repeat(150);
    SourceTree t = new SourceTree(tmp.resolve("upper"))
        .dir("deep").dir(LONG_DIR).file(LONG_FILE, "long")
        .file(UTF8_NAME, "utf-8").file(BINARY_NAME, "binary")
        .symlink("long-link", longTarget).symlink("binary-link", BINARY_NAME)
        .hardLink(LONG_DIR + "/hard-" + "h".repeat(100), LONG_FILE);

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.GZIP);
    Path unpacked = unpack(layer);

    assertThat(Posix.list(unpacked).stream().map(FileNames::bytes)).contains(
        FileNames.bytes(UTF8_NAME), FileNames.bytes(BINARY_NAME));
    assertThat(Posix.readlink(unpacked.resolve("binary-link"))).isEqualTo(BINARY_NAME);
    assertThat(Posix.readlink(unpacked.resolve("long-link"))).isEqualTo(longTarget);
    assertThat(TreeListing.of(unpacked)).isEqualTo(TreeListing.of(t.root()));
  }

  @Test
  void nanosecondTimesGoInPaxRecordsAndWholeSecondsDoNot() throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("upper"))
        .file("whole", "w").times("whole", WHOLE_SECOND)
        .file("nanos", "n").times("nanos", Instant.ofEpochSecond(1_000_000_000L, 120_000_000));

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.UNCOMPRESSED);
    String tar = new String(tarOf(layer), Charset.forName("ISO-8859-1"));

    assertThat(tar).contains("mtime=1000000000.12\n");
    assertThat(tar).doesNotContain("mtime=1000000000\n");
    assertThat(tar).doesNotContain("atime").doesNotContain("ctime");
    assertThat(Posix.lstat(unpack(layer).resolve("nanos")).mtime())
        .isEqualTo(Instant.ofEpochSecond(1_000_000_000L, 120_000_000));
  }

  @Test
  void theBlobIsStoredVerifiedWithItsDiffIdLabel() throws IOException {
    Path upper = everyKind(tmp.resolve("upper")).root();

    LayerWriter.WrittenLayer gzip = writer.write(LayerChanges.ofUpper(upper), Compression.GZIP);
    LayerWriter.WrittenLayer plain =
        writer.write(LayerChanges.ofUpper(upper), Compression.UNCOMPRESSED);

    byte[] blob = blobBytes(gzip.blob());
    assertThat(Digest.sha256(blob)).isEqualTo(gzip.blob());
    assertThat(blob).hasSize((int) gzip.size());
    byte[] tar = tarOf(gzip);
    assertThat(Digest.sha256(tar)).isEqualTo(gzip.diffId());
    assertThat(tar).hasSize((int) gzip.uncompressedSize());
    assertThat(gzip.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
    Optional<ContentInfo> info = store.info(gzip.blob());
    assertThat(info).get().extracting(i -> i.labels().get(LayerWriter.UNCOMPRESSED_LABEL))
        .isEqualTo(gzip.diffId().toString());

    assertThat(plain.blob()).isEqualTo(gzip.diffId());
    assertThat(plain.diffId()).isEqualTo(gzip.diffId());
    assertThat(plain.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
    assertThat(store.info(plain.blob()).orElseThrow().labels())
        .containsEntry(LayerWriter.UNCOMPRESSED_LABEL, plain.diffId().toString());
    assertThat(ingestLeftovers()).isEmpty();
  }

  @Test
  void theGzipHeaderHasNoNameAndNoTimeAndTheLevelIsFixed() throws IOException {
    Path upper = everyKind(tmp.resolve("upper")).root();

    LayerWriter.WrittenLayer dflt = writer.write(LayerChanges.ofUpper(upper), Compression.GZIP);
    LayerWriter.WrittenLayer six = writer.write(LayerChanges.ofUpper(upper), Compression.GZIP, 6);
    LayerWriter.WrittenLayer one = writer.write(LayerChanges.ofUpper(upper), Compression.GZIP, 1);

    byte[] blob = blobBytes(dflt.blob());
    assertThat(blob[3]).as("FLG: no name, comment or extra field").isZero();
    assertThat(java.util.Arrays.copyOfRange(blob, 4, 8)).as("MTIME").containsOnly(0);
    assertThat(six.blob()).isEqualTo(dflt.blob());
    assertThat(one.blob()).isNotEqualTo(dflt.blob());
    assertThat(one.diffId()).isEqualTo(dflt.diffId());
  }

  @Test
  void writingToAStreamGivesTheBytesTheStoreGets() throws IOException {
    Path upper = everyKind(tmp.resolve("upper")).root();
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    LayerWriter.WrittenLayer streamed = LayerWriter.write(LayerChanges.ofUpper(upper),
        Compression.ZSTD, Compression.DEFAULT_LEVEL, out);
    LayerWriter.WrittenLayer stored = writer.write(LayerChanges.ofUpper(upper), Compression.ZSTD);

    assertThat(streamed).isEqualTo(stored);
    assertThat(out.toByteArray()).isEqualTo(blobBytes(stored.blob()));
  }

  @Test
  void aDirectoryNamedLikeAWhiteoutIsRefusedAndNothingIsStored() throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("upper")).dir(".wh.dir").file("a", "a");
    List<Digest> before = blobs();

    assertThatThrownBy(() -> writer.write(LayerChanges.ofUpper(t.root()), Compression.GZIP))
        .isInstanceOf(UnrepresentableEntryException.class)
        .hasMessageContaining("\".wh.dir\"").hasMessageContaining("whiteout");
    assertThat(blobs()).isEqualTo(before);
    assertThat(ingestLeftovers()).isEmpty();
  }

  @Test
  void aFileThatChangesSizeWhileWrittenFailsTheLayer() throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("tree")).file("small", "12").file("large", "1234");
    Path small = t.real("small");
    ReadableTree lying = new ReadableTree() {
      final ReadableTree real = ReadableTree.directory(t.root());

      @Override
      public Optional<Entry> entry(String path) throws IOException {
        // "large" is read from a file two bytes shorter than its stat says: it shrank.
        return path.equals("large")
            ? Optional.of(new Entry(small, real.entry("large").orElseThrow().stat()))
            : real.entry(path);
      }

      @Override
      public List<String> list(String dir) throws IOException {
        return real.list(dir);
      }
    };

    assertThatThrownBy(() -> writer.write(LayerChanges.ofTree(lying), Compression.GZIP))
        .isInstanceOf(LayerSourceChangedException.class)
        .hasMessageContaining("shrank").hasMessageContaining("4 bytes expected, 2 read");
    assertThat(ingestLeftovers()).isEmpty();
  }

  @Test
  void socketsAreLeftOut() throws IOException {
    SourceTree t = new SourceTree(tmp.resolve("upper")).file("a", "a");
    Posix.mknod(t.real("sock"), Posix.S_IFSOCK | 0600, 0);

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(t.root()), Compression.UNCOMPRESSED);

    assertThat(names(layer)).containsExactly("a");
  }

  @Test
  void anEmptyUpperIsAnEmptyTar() throws IOException {
    Path upper = Files.createDirectory(tmp.resolve("upper"));

    LayerWriter.WrittenLayer layer =
        writer.write(LayerChanges.ofUpper(upper), Compression.UNCOMPRESSED);

    assertThat(tarOf(layer)).hasSize(1024).containsOnly(0);
    assertThat(layer.entries()).isZero();
  }

  private List<Digest> blobs() throws IOException {
    List<Digest> digests = new java.util.ArrayList<>();
    store.walk(info -> digests.add(info.digest()));
    return digests;
  }
}
