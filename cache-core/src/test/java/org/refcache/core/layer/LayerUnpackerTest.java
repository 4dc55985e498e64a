package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.refcache.core.digest.Digest;
import org.refcache.posix.Descriptors;
import org.refcache.posix.FileNames;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

class LayerUnpackerTest {
  static final Instant FILE_MTIME = Instant.ofEpochSecond(1_700_000_000L, 123_456_789);
  static final Instant FILE_ATIME = Instant.ofEpochSecond(1_650_000_000L, 987_654_321);
  static final Instant DIR_MTIME = Instant.ofEpochSecond(1_500_000_000L, 1);
  static final Instant LINK_MTIME = Instant.ofEpochSecond(1_400_000_000L, 999_999_999);
  /** A version-2 file capability with bytes above 0x7f (CAP_SETUID is bit 7): not valid UTF-8. */
  static final byte[] CAPABILITY = {1, 0, 0, 2, (byte) 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0};
  static final String LONG_PAX = "deep/" + "p".repeat(120) + "/file-with-a-pax-name";
  static final String LONG_GNU = "deep/" + "g".repeat(130) + "/file-with-a-gnu-name";

  @TempDir
  Path tmp;
  Path layers;
  Path target;
  final LayerUnpacker unpacker = new LayerUnpacker();

  @BeforeEach
  void setUp() throws IOException {
    layers = Files.createDirectory(tmp.resolve("layers"));
    target = layers.resolve("layer");
  }

  /** One entry of every kind, with the metadata a layer can carry. */
  static byte[] everyKind() {
    return new TarBuilder()
        .owner(1234, 5678).mode(0750).times(DIR_MTIME, null).dir("etc/")
        .owner(1234, 5678).mode(0640).times(FILE_MTIME, FILE_ATIME)
        .xattr("user.comment", "hello".getBytes(StandardCharsets.UTF_8))
        .file("etc/config", "key=value\n")
        .mode(04755).file("usr/bin/su", "#!setuid")
        .mode(02755).dir("var/mail")
        .mode(01777).dir("tmp")
        .owner(7, 8).times(LINK_MTIME, null).symlink("etc/link", "/does/not/exist")
        .hardLink("etc/config-link", "etc/config")
        .fifo("run/fifo")
        .charDevice("dev/null", 1, 3)
        .mode(0755).xattr("security.capability", CAPABILITY).file("usr/bin/ping", "ping")
        .file(LONG_PAX, "pax")
        .gnuLongNames().file(LONG_GNU, "gnu")
        .build();
  }

  UnpackResult unpack(byte[] blob, String mediaType) throws IOException {
    return unpacker.unpack(new ByteArrayInputStream(blob), mediaType, target, null);
  }

  static Stat lstat(Path p) throws IOException {
    return Posix.lstat(p);
  }

  @Test
  void regularFileKeepsContentModeOwnerNanosecondTimesAndXattrs() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    Path config = target.resolve("etc/config");
    Stat st = lstat(config);
    assertThat(Files.readString(config)).isEqualTo("key=value\n");
    assertThat(st.isRegularFile()).isTrue();
    assertThat(st.permissions()).isEqualTo(0640);
    assertThat(st.uid()).isEqualTo(1234);
    assertThat(st.gid()).isEqualTo(5678);
    assertThat(st.mtime()).isEqualTo(FILE_MTIME);
    assertThat(st.atime()).isEqualTo(FILE_ATIME);
    assertThat(Xattrs.lgetxattr(config, "user.comment")).hasValueSatisfying(
        v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("hello"));
  }

  @Test
  void binaryCapabilityXattrIsSetByteForByte() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    assertThat(Xattrs.lgetxattr(target.resolve("usr/bin/ping"), "security.capability"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(CAPABILITY));
  }

  @Test
  void setuidSetgidAndStickyBitsSurvive() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    assertThat(lstat(target.resolve("usr/bin/su")).permissions()).isEqualTo(04755);
    assertThat(lstat(target.resolve("var/mail")).permissions()).isEqualTo(02755);
    assertThat(lstat(target.resolve("tmp")).permissions()).isEqualTo(01777);
  }

  @Test
  void directoryTimesAreSetAfterItsChildren() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    Stat etc = lstat(target.resolve("etc"));
    assertThat(etc.isDirectory()).isTrue();
    assertThat(etc.permissions()).isEqualTo(0750);
    assertThat(etc.uid()).isEqualTo(1234);
    assertThat(etc.gid()).isEqualTo(5678);
    assertThat(etc.mtime()).isEqualTo(DIR_MTIME);
    assertThat(etc.atime()).as("atime defaults to mtime").isEqualTo(DIR_MTIME);
  }

  @Test
  void parentsMissingFromTheTarAreRootOwned0755Directories() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    for (String dir : List.of("usr", "usr/bin", "run", "dev", "deep")) {
      Stat st = lstat(target.resolve(dir));
      assertThat(st.isDirectory()).as(dir).isTrue();
      assertThat(st.permissions()).as(dir).isEqualTo(0755);
      assertThat(st.uid()).as(dir).isZero();
      assertThat(st.gid()).as(dir).isZero();
    }
  }

  @Test
  void symlinkKeepsItsTargetAsGivenAndItsOwnOwnerAndTimes() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    Path link = target.resolve("etc/link");
    Stat st = lstat(link);
    assertThat(st.isSymlink()).isTrue();
    assertThat(Files.readSymbolicLink(link)).hasToString("/does/not/exist");
    assertThat(st.uid()).isEqualTo(7);
    assertThat(st.gid()).isEqualTo(8);
    assertThat(st.mtime()).isEqualTo(LINK_MTIME);
  }

  @Test
  void hardLinkSharesTheInodeOfItsTarget() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    Stat file = lstat(target.resolve("etc/config"));
    Stat link = lstat(target.resolve("etc/config-link"));
    assertThat(link.ino()).isEqualTo(file.ino());
    assertThat(link.nlink()).isEqualTo(2);
    assertThat(file.nlink()).isEqualTo(2);
    assertThat(link.mtime()).as("the link header does not touch the shared inode")
        .isEqualTo(FILE_MTIME);
  }

  @Test
  void fifoAndCharacterDeviceAreCreated() throws IOException {
    unpack(everyKind(), MediaTypes.OCI_LAYER);

    Stat fifo = lstat(target.resolve("run/fifo"));
    assertThat(fifo.isFifo()).isTrue();
    assertThat(fifo.permissions()).isEqualTo(0644);
    Stat dev = lstat(target.resolve("dev/null"));
    assertThat(dev.isCharDevice()).isTrue();
    assertThat(Posix.major(dev.rdev())).isEqualTo(1);
    assertThat(Posix.minor(dev.rdev())).isEqualTo(3);
    assertThat(dev.permissions()).isEqualTo(0666);
  }

  @Test
  void paxAndGnuLongNamesAreApplied() throws IOException {
    UnpackResult result = unpack(everyKind(), MediaTypes.OCI_LAYER);

    assertThat(target.resolve(LONG_PAX)).hasContent("pax");
    assertThat(target.resolve(LONG_GNU)).hasContent("gnu");
    assertThat(result.entries()).isEqualTo(12);
  }

  @Test
  void diffIdIsTheDigestOfTheWholeUncompressedStream() throws IOException {
    byte[] tar = everyKind();
    // Extra zero records after the trailer belong to the stream, and so to the diffID.
    byte[] padded = Arrays.copyOf(tar, tar.length + 4096);

    UnpackResult result = unpack(padded, MediaTypes.OCI_LAYER);

    assertThat(result.diffId()).isEqualTo(Digest.sha256(padded));
    assertThat(result.uncompressedSize()).isEqualTo(padded.length);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyCompressionGivesTheSameTreeAndDiffId(Compression compression) throws IOException {
    byte[] tar = everyKind();
    byte[] blob = TarBuilder.compress(tar, compression);

    UnpackResult result = unpacker.unpack(new ByteArrayInputStream(blob),
        compression.ociMediaType(), target, Digest.sha256(tar));

    assertThat(result.diffId()).isEqualTo(Digest.sha256(tar));
    assertThat(target.resolve("etc/config")).hasContent("key=value\n");
    assertThat(lstat(target.resolve("etc/config")).mtime()).isEqualTo(FILE_MTIME);
    assertThat(Xattrs.lgetxattr(target.resolve("usr/bin/ping"), "security.capability"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(CAPABILITY));
  }

  @Test
  void dockerMediaTypesAreAccepted() throws IOException {
    byte[] tar = new TarBuilder().file("a", "a").build();

    unpack(TarBuilder.compress(tar, Compression.GZIP), MediaTypes.DOCKER_LAYER_GZIP);

    assertThat(target.resolve("a")).hasContent("a");
  }

  @Test
  void whiteoutBecomesCharacterDeviceZeroZero() throws IOException {
    unpack(new TarBuilder().dir("etc").file("etc/.wh.passwd", "").file(".wh.gone", "").build(),
        MediaTypes.OCI_LAYER);

    for (String path : List.of("etc/passwd", "gone")) {
      Stat st = lstat(target.resolve(path));
      assertThat(OverlayFormat.isWhiteout(st)).as(path).isTrue();
      assertThat(st.rdev()).isZero();
    }
    assertThat(target.resolve("etc/.wh.passwd")).doesNotExist();
  }

  @Test
  void opaqueMarkerSetsTheXattrAndKeepsTheLayersOwnEntries() throws IOException {
    unpack(new TarBuilder()
            .dir("app").file("app/before", "b")
            .file("app/.wh..wh..opq", "")
            .file("app/after", "a")
            .file("plain/file", "p")
            .build(),
        MediaTypes.OCI_LAYER);

    assertThat(OverlayFormat.isOpaque(target.resolve("app"))).isTrue();
    assertThat(OverlayFormat.isOpaque(target.resolve("plain"))).isFalse();
    assertThat(target.resolve("app/before")).hasContent("b");
    assertThat(target.resolve("app/after")).hasContent("a");
    assertThat(target.resolve("app/.wh..wh..opq")).doesNotExist();
  }

  @Test
  void opaqueMarkerBeforeItsDirectoryEntryStays() throws IOException {
    unpack(new TarBuilder().file("app/.wh..wh..opq", "").mode(0700).dir("app").build(),
        MediaTypes.OCI_LAYER);

    assertThat(OverlayFormat.isOpaque(target.resolve("app"))).isTrue();
    assertThat(lstat(target.resolve("app")).permissions()).isEqualTo(0700);
  }

  @Test
  void directoryOfTheLayerWithAWhiteoutOfTheSameNameBecomesOpaque() throws IOException {
    unpack(new TarBuilder().file(".wh.a", "").dir("a").file("a/x", "x")
            .dir("b").file(".wh.b", "")
            .file("c", "c").file(".wh.c", "")
            .build(),
        MediaTypes.OCI_LAYER);

    assertThat(lstat(target.resolve("a")).isDirectory()).isTrue();
    assertThat(OverlayFormat.isOpaque(target.resolve("a"))).isTrue();
    assertThat(OverlayFormat.isOpaque(target.resolve("b"))).isTrue();
    assertThat(target.resolve("c")).as("a whiteout does not hide its own layer").hasContent("c");
  }

  @Test
  void laterEntriesReplaceEarlierOnes() throws IOException {
    unpack(new TarBuilder()
            .file("f", "old").file("f", "new")
            .dir("d").file("d/child", "c").file("d", "now a file")
            .file("s", "file").symlink("s", "elsewhere")
            .mode(0700).dir("keep").file("keep/x", "x").mode(0711).dir("keep")
            .build(),
        MediaTypes.OCI_LAYER);

    assertThat(target.resolve("f")).hasContent("new");
    assertThat(target.resolve("d")).hasContent("now a file");
    assertThat(Files.readSymbolicLink(target.resolve("s"))).hasToString("elsewhere");
    assertThat(target.resolve("keep/x")).as("a directory entry over a directory keeps its children")
        .hasContent("x");
    assertThat(lstat(target.resolve("keep")).permissions()).isEqualTo(0711);
  }

  @Test
  void rootEntryAppliesToTheLayerDirectory() throws IOException {
    unpack(new TarBuilder().mode(0700).owner(3, 4).times(DIR_MTIME, null).dir("./")
            .file("./a", "a").build(),
        MediaTypes.OCI_LAYER);

    Stat st = lstat(target);
    assertThat(st.permissions()).isEqualTo(0700);
    assertThat(st.uid()).isEqualTo(3);
    assertThat(st.mtime()).isEqualTo(DIR_MTIME);
    assertThat(target.resolve("a")).hasContent("a");
  }

  /** umoci names the root of a layer it inserts at {@code /} "/": that is the root, not outside. */
  @Test
  void aRootEntryNamedSlashAppliesToTheLayerDirectory() throws IOException {
    unpack(new TarBuilder().mode(0750).owner(5, 6).times(DIR_MTIME, null).dir("/")
            .file("etc/f", "f").build(),
        MediaTypes.OCI_LAYER);

    Stat st = lstat(target);
    assertThat(st.permissions()).isEqualTo(0750);
    assertThat(st.uid()).isEqualTo(5);
    assertThat(target.resolve("etc/f")).hasContent("f");
  }

  @Test
  void aSymlinkNamedSlashCannotReplaceTheRoot() {
    assertThatThrownBy(() -> unpack(new TarBuilder().symlink("/", "elsewhere").build(),
        MediaTypes.OCI_LAYER))
        .isInstanceOf(UnsafeLayerEntryException.class).hasMessageContaining("root");
  }

  @Test
  void nonAsciiNamesAreKept() throws IOException {
    unpack(new TarBuilder().file("caf\u00e9/\u65e5\u672c", "x").build(), MediaTypes.OCI_LAYER);

    assertThat(target.resolve("caf\u00e9/\u65e5\u672c")).hasContent("x");
  }

  /**
   * A file name is bytes: names and link targets that are not UTF-8 reach the disk byte for
   * byte, from a PAX record and from a plain header alike, instead of becoming U+FFFD (which would
   * also make the two names below one).
   */
  @Test
  void namesAndLinkTargetsThatAreNotUtf8AreKeptByteForByte() throws IOException {
    byte[] first = {'p', 'a', 'x', '-', (byte) 0xff, (byte) 0xfe};
    byte[] second = {'p', 'a', 'x', '-', (byte) 0xfe, (byte) 0xff};
    byte[] linkTarget = {'t', 'o', '-', (byte) 0xe9};
    byte[] tar = new TarBuilder()
        .paxBytes("path", first).file("placeholder-1", "first")
        .paxBytes("path", second).file("placeholder-2", "second")
        .paxBytes("linkpath", linkTarget).symlink("link", "placeholder-3")
        .build();
    unpack(tar, MediaTypes.OCI_LAYER);

    assertThat(Posix.list(target).stream().map(FileNames::bytes))
        .containsExactlyInAnyOrder(first, second, "link".getBytes(StandardCharsets.US_ASCII));
    assertThat(contentOf(first)).isEqualTo("first");
    assertThat(contentOf(second)).isEqualTo("second");
    assertThat(FileNames.bytes(Posix.readlink(target.resolve("link")))).isEqualTo(linkTarget);
  }

  @Test
  void aPlainHeaderNameThatIsNotUtf8IsKept() throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out,
        "ISO-8859-1")) {
      var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("hdr-\u00ff");
      e.setSize(1);
      tar.putArchiveEntry(e);
      tar.write('h');
      tar.closeArchiveEntry();
    }
    unpack(out.toByteArray(), MediaTypes.OCI_LAYER);

    assertThat(Posix.list(target).stream().map(FileNames::bytes))
        .containsExactly(new byte[] {'h', 'd', 'r', '-', (byte) 0xff});
  }

  /** The content of the layer's file whose name is {@code name}'s bytes. */
  private String contentOf(byte[] name) throws IOException {
    int fd = Descriptors.open(target.resolve(new String(name, java.nio.charset.Charset.defaultCharset())),
        Posix.O_RDONLY, 0);
    try {
      return Files.readString(Path.of("/proc/self/fd/" + fd));
    } finally {
      Descriptors.close(fd);
    }
  }

  @Test
  void overlayXattrsCarriedInTheTarAreDropped() throws IOException {
    unpack(new TarBuilder()
            .xattr("trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8))
            .xattr("trusted.overlay.redirect", "/x".getBytes(StandardCharsets.UTF_8))
            .dir("d").build(),
        MediaTypes.OCI_LAYER);

    assertThat(OverlayFormat.isOpaque(target.resolve("d"))).isFalse();
    assertThat(Xattrs.llistxattr(target.resolve("d")))
        .noneMatch(n -> n.startsWith("trusted.overlay."));
  }

  @Test
  void libarchiveXattrsAreDecoded() throws IOException {
    unpack(new TarBuilder()
            .pax("LIBARCHIVE.xattr.user.with%20space", "AQID")
            .file("f", "f").build(),
        MediaTypes.OCI_LAYER);

    assertThat(Xattrs.lgetxattr(target.resolve("f"), "user.with space"))
        .hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3));
  }

  @Test
  void mediaTypeThatDisagreesWithTheBytesIsRefused() {
    byte[] tar = new TarBuilder().file("a", "a").build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER_GZIP))
        .isInstanceOf(LayerFormatException.class)
        .hasMessageContaining("GZIP").hasMessageContaining("UNCOMPRESSED");
    assertThatThrownBy(() -> unpack(TarBuilder.compress(tar, Compression.GZIP),
        MediaTypes.OCI_LAYER_ZSTD)).isInstanceOf(LayerFormatException.class);
    assertThatThrownBy(() -> unpack(TarBuilder.compress(tar, Compression.ZSTD),
        MediaTypes.OCI_LAYER)).isInstanceOf(LayerFormatException.class);
    assertNothingLeft();
  }

  @Test
  void unknownMediaTypeIsRefused() {
    byte[] tar = new TarBuilder().file("a", "a").build();

    assertThatThrownBy(() -> unpack(tar, "application/vnd.oci.image.config.v1+json"))
        .isInstanceOf(LayerFormatException.class)
        .hasMessageContaining("application/vnd.oci.image.config.v1+json");
    assertNothingLeft();
  }

  /**
   * More content than the writer thread's queue holds (8 MiB) and than the early flushes' interval
   * (16 MiB): every file comes out whole, in a layer that is read far ahead of the writer.
   */
  @Test
  void layerOfMoreContentThanTheWriterQueueHoldsIsUnpackedWhole() throws IOException {
    java.util.Random random = new java.util.Random(14);
    TarBuilder builder = new TarBuilder();
    List<byte[]> small = new java.util.ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] content = new byte[random.nextInt(70_000)];
      random.nextBytes(content);
      small.add(content);
      builder.file("pkg" + (i % 7) + "/f" + i, content);
    }
    byte[] big = new byte[20 * 1024 * 1024 + 3];
    random.nextBytes(big);
    byte[] tar = builder.file("big", big).build();

    unpack(tar, MediaTypes.OCI_LAYER);

    for (int i = 0; i < small.size(); i++) {
      assertThat(Files.readAllBytes(target.resolve("pkg" + (i % 7) + "/f" + i))).as("f%d", i)
          .isEqualTo(small.get(i));
    }
    assertThat(Files.readAllBytes(target.resolve("big"))).isEqualTo(big);
  }

  /** The writer thread may be inside the big file when the tar stops: nothing is left after. */
  @Test
  void layerCutInsideABigFileLeavesNothing() {
    byte[] big = new byte[12 * 1024 * 1024];
    new java.util.Random(7).nextBytes(big);
    byte[] tar = new TarBuilder().file("a", "first").file("big", big).file("after", "x").build();
    byte[] truncated = Arrays.copyOf(tar, tar.length / 2);

    assertThatThrownBy(() -> unpack(truncated, MediaTypes.OCI_LAYER))
        .isInstanceOf(TruncatedLayerException.class);
    assertNothingLeft();
  }

  @Test
  void wrongDiffIdFailsAndLeavesNothing() {
    byte[] tar = everyKind();
    Digest wrong = Digest.sha256("something else");

    assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(tar), MediaTypes.OCI_LAYER,
        target, wrong))
        .isInstanceOfSatisfying(DiffIdMismatchException.class, e -> {
          assertThat(e.expected()).isEqualTo(wrong);
          assertThat(e.actual()).isEqualTo(Digest.sha256(tar));
        });
    assertNothingLeft();
  }

  @ParameterizedTest
  @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
  void truncatedCompressedBlobFailsAndLeavesNothing(Compression compression) {
    byte[] tar = new TarBuilder().file("big", new byte[200_000]).file("after", "x").build();
    byte[] blob = TarBuilder.compress(tar, compression);
    for (int cut : new int[] {blob.length - 1, blob.length - 8, blob.length / 2}) {
      byte[] truncated = Arrays.copyOf(blob, cut);

      assertThatThrownBy(() -> unpack(truncated, compression.ociMediaType()))
          .as("cut at %d of %d", cut, blob.length)
          .isInstanceOf(IOException.class);
      assertNothingLeft();
    }
  }

  /** Found by LayerUnpackerFuzzTest: the error was a bare java.io.EOFException. */
  @Test
  void truncatedGzipLayerIsRefusedSayingItIsTruncated() {
    byte[] blob = TarBuilder.compress(everyKind(), Compression.GZIP);
    byte[] truncated = Arrays.copyOf(blob, 150);

    assertThatThrownBy(() -> unpack(truncated, MediaTypes.OCI_LAYER_GZIP))
        .isInstanceOf(LayerFormatException.class)
        .isInstanceOf(TruncatedLayerException.class)
        .hasMessageContaining("truncated: the gzip stream ends early, after");
    assertNothingLeft();
  }

  @Test
  void truncatedPlainTarWithExpectedDiffIdFails() {
    byte[] tar = new TarBuilder().file("big", new byte[20_000]).build();
    byte[] truncated = Arrays.copyOf(tar, 10_000);

    assertThatThrownBy(() -> unpacker.unpack(new ByteArrayInputStream(truncated),
        MediaTypes.OCI_LAYER, target, Digest.sha256(tar))).isInstanceOf(IOException.class);
    assertNothingLeft();
  }

  @Test
  void existingTargetIsRefusedAndKept() throws IOException {
    Files.createDirectory(target);
    Files.writeString(target.resolve("mine"), "keep");

    assertThatThrownBy(() -> unpack(everyKind(), MediaTypes.OCI_LAYER))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(target.resolve("mine")).hasContent("keep");
  }

  @Test
  void blobIsReadToTheEndButNotClosed() throws IOException {
    byte[] tar = everyKind();
    boolean[] closed = {false};
    ByteArrayInputStream in = new ByteArrayInputStream(tar) {
      @Override
      public void close() {
        closed[0] = true;
      }
    };

    unpacker.unpack(in, MediaTypes.OCI_LAYER, target, null);

    assertThat(closed[0]).isFalse();
    assertThat(in.available()).isZero();
  }

  @Test
  void hardLinkToAMissingTargetIsAFormatError() {
    byte[] tar = new TarBuilder().hardLink("link", "nowhere").build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOf(LayerFormatException.class).hasMessageContaining("\"link\"");
    assertNothingLeft();
  }

  @Test
  void unsupportedEntryTypeIsAFormatError() {
    byte[] tar = new TarBuilder().entry("volume", (byte) 'V').build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOf(LayerFormatException.class).hasMessageContaining("\"volume\"");
    assertNothingLeft();
  }

  static Stream<Arguments> hostileTarballs() {
    return Stream.of(
        Arguments.of("dot-dot", "../evil",
            new TarBuilder().file("../evil", "x").build()),
        Arguments.of("absolute", "/etc/evil",
            new TarBuilder().file("ok", "fine").file("/etc/evil", "x").build()),
        Arguments.of("absolute PAX long name", "/" + "x".repeat(120) + "/evil",
            new TarBuilder().file("/" + "x".repeat(120) + "/evil", "x").build()),
        Arguments.of("absolute GNU long name", "/" + "y".repeat(120) + "/evil",
            new TarBuilder().gnuLongNames().file("/" + "y".repeat(120) + "/evil", "x").build()),
        Arguments.of("dot-dot in a long name", "a/" + "z".repeat(120) + "/../../../evil",
            new TarBuilder().file("a/" + "z".repeat(120) + "/../../../evil", "x").build()),
        Arguments.of("dot-dot inside", "a/../../evil",
            new TarBuilder().dir("a").file("a/../../evil", "x").build()),
        Arguments.of("through absolute symlink", "link/file",
            new TarBuilder().symlink("link", "/tmp/x").file("link/file", "x").build()),
        Arguments.of("through symlink to parent", "up/evil",
            new TarBuilder().symlink("up", "..").file("up/evil", "x").build()),
        Arguments.of("directory through symlink", "up/dir/",
            new TarBuilder().symlink("up", "..").dir("up/dir/").build()),
        Arguments.of("whiteout through symlink", "up/.wh.layer",
            new TarBuilder().symlink("up", "..").file("up/.wh.layer", "").build()),
        Arguments.of("hard link out", "passwd",
            new TarBuilder().hardLink("passwd", "../../etc/passwd").build()),
        Arguments.of("absolute hard link", "passwd",
            new TarBuilder().hardLink("passwd", "/etc/passwd").build()),
        Arguments.of("hard link through symlink", "shadow",
            new TarBuilder().symlink("etc", "/etc").hardLink("shadow", "etc/shadow").build()),
        Arguments.of("root replaced by a symlink", "./",
            new TarBuilder().symlink("./", "/").build()),
        Arguments.of("whiteout of dot-dot", ".wh..",
            new TarBuilder().file(".wh..", "").build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileTarballs")
  void hostileTarballIsRefusedNamingTheEntryAndLeavesNothing(String why, String entry, byte[] tar) {
    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOfSatisfying(UnsafeLayerEntryException.class,
            e -> assertThat(e.entryName()).isEqualTo(entry))
        .hasMessageContaining("\"" + entry + "\"");
    assertNothingLeft();
    assertThat(layers.resolve("evil")).doesNotExist();
    assertThat(layers.resolve("dir")).doesNotExist();
  }

  @Test
  void refusalOfAnEntryWithANewlineAndAnEscapeNamesItOnOnePrintableLine() {
    String forged = "../evil\n12:00:00.000 INFO  forged line\u001b[31m";
    byte[] tar = new TarBuilder().file(forged, "x").build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOfSatisfying(UnsafeLayerEntryException.class, e -> {
          assertThat(e.entryName()).as("the raw name, for code").isEqualTo(forged);
          assertThat(e.getMessage()).doesNotContain("\n", "\u001b")
              .contains("\"../evil\\n12:00:00.000 INFO  forged line\\x1b[31m\"");
        });
  }

  @Test
  void aMalformedEntryIsNamedOnOnePrintableLine() {
    byte[] tar = new TarBuilder().file("file\r\n", "x").hardLink("link", "file\r\n/below").build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOf(LayerFormatException.class)
        .hasMessageContaining("\"file\\r\\n/below\" is not in the layer")
        .hasMessageNotContaining("\r");
  }

  @Test
  void symlinkToAnOutsideDirectoryIsNotWrittenThrough() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    byte[] tar = new TarBuilder().symlink("link", outside.toString()).file("link/file", "x")
        .build();

    assertThatThrownBy(() -> unpack(tar, MediaTypes.OCI_LAYER))
        .isInstanceOf(UnsafeLayerEntryException.class).hasMessageContaining("\"link/file\"");
    assertThat(outside.resolve("file")).doesNotExist();
    assertNothingLeft();
  }

  void assertNothingLeft() {
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(layers)) {
      assertThat(s).as("work directories left in %s", layers).isEmpty();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
