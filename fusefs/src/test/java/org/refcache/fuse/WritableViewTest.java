package org.refcache.fuse;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;

/** A writable ref through the mount: the cases the equivalence harness does not reach. */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class WritableViewTest extends ViewOnEachTransport {

  WritableViewTest(FuseOptions.Transport transport) {
    super(transport);
  }

  WritableOverlayTree tree;
  Path ref;

  @BeforeEach
  void setUp() throws IOException {
    Path lower = view.layer("lower");
    LayerBuilder.allAt(lower, LayerBuilder.OLD).file("lower.txt", "lower").file("dir/child", "child");
    tree = view.addWritable("w", lower);
    view.addWritable("other", view.layer("other"));
    view.mount();
    ref = view.ref("w");
  }

  @Test
  void aFileUnlinkedWhileOpenKeepsWorkingAndNeverReachesTheTree() throws IOException {
    Files.createDirectory(ref.resolve("scratch"));
    try (FileChannel ch = FileChannel.open(ref.resolve("scratch/tmp"), CREATE_NEW, READ, WRITE)) {
      ch.write(ByteBuffer.wrap(bytes("hello")));
      Files.delete(ref.resolve("scratch/tmp"));
      ch.write(ByteBuffer.wrap(bytes(" world")));

      assertThat(ch.size()).isEqualTo(11); // fstat of an unlinked file
      ByteBuffer back = ByteBuffer.allocate(11);
      ch.read(back, 0);
      assertThat(new String(back.array(), StandardCharsets.UTF_8)).isEqualTo("hello world");
      assertThat(ReadOnlyViewTest.list(ref.resolve("scratch"))).isEmpty();
      assertThat(ReadOnlyViewTest.list(tree.upper().resolve("scratch"))).isEmpty();
      Files.delete(ref.resolve("scratch")); // empty, as on ext4, though a file in it is open
    }
    RefLeaseTest.awaitReleased(view.mounted(), view.source, 1);
    try (Stream<Path> all = Files.walk(tree.upper())) {
      assertThat(all.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith(".fuse_hidden"));
    }
  }

  /** A name that looks like libfuse's names for hidden open files is a name like any other. */
  @Test
  void aFileRenamedToANameLikeLibfusesHiddenOnesIsRenamed() throws IOException {
    Files.writeString(ref.resolve("a"), "content");
    Path odd = ref.resolve(".fuse_hidden0000000100000002");
    Files.move(ref.resolve("a"), odd);
    assertThat(Files.readString(odd)).isEqualTo("content");
    assertThat(ReadOnlyViewTest.list(ref)).contains(".fuse_hidden0000000100000002")
        .doesNotContain("a");
  }

  @Test
  void aLowerFileKeepsItsInodeNumberThroughCopyUpRenameAndLinks() throws IOException {
    long before = Posix.lstat(ref.resolve("lower.txt")).ino();
    Posix.chmod(ref.resolve("lower.txt"), 0600);
    assertThat(tree.resolve("lower.txt").orElseThrow().isUpper()).isTrue();
    assertThat(Posix.lstat(ref.resolve("lower.txt")).ino()).isEqualTo(before);
    Files.move(ref.resolve("lower.txt"), ref.resolve("dir/moved"));
    Files.createLink(ref.resolve("second"), ref.resolve("dir/moved"));
    assertThat(Posix.lstat(ref.resolve("dir/moved")).ino()).isEqualTo(before);
    assertThat(Posix.lstat(ref.resolve("second")).ino()).isEqualTo(before);
    assertThat(Files.readAttributes(ref.resolve("second"), "unix:ino").get("ino"))
        .isEqualTo(before);
    Files.writeString(ref.resolve("fresh"), "made in the upper");
    assertThat(Posix.lstat(ref.resolve("fresh")).ino())
        .isEqualTo(Posix.lstat(tree.upper().resolve("fresh")).ino());
    try (var names = Files.newDirectoryStream(ref.resolve("dir"))) {
      names.forEach(name -> { }); // readdir answers without failing on the copied-up entry
    }
  }

  /** As on ext4: a file unlinked while open keeps its number, a copied-up one its original's. */
  @Test
  void aCopiedUpFileUnlinkedWhileOpenKeepsItsInodeNumber() throws IOException {
    Path file = ref.resolve("lower.txt");
    long before = Posix.lstat(file).ino();
    Posix.chmod(file, 0600);
    assertThat(tree.resolve("lower.txt").orElseThrow().isUpper()).isTrue();
    int fd = Descriptors.open(file, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
    try {
      Files.delete(file);
      Path open = Path.of("/proc/self/fd/" + fd); // stat(2) of it is fstat of the open file
      assertThat(Files.readAttributes(open, "unix:nlink").get("nlink")).isEqualTo(0);
      assertThat(Files.readAttributes(open, "unix:ino").get("ino")).isEqualTo(before);
    } finally {
      Descriptors.close(fd);
    }
  }

  /** As on ext4: making a file in a directory, or renaming it, does not change its st_ino. */
  @Test
  void aLowerDirectoryKeepsItsInodeNumberThroughCopyUpAndRename() throws IOException {
    long before = Posix.lstat(ref.resolve("dir")).ino();
    Files.writeString(ref.resolve("dir/new"), "copies the directory up");
    assertThat(tree.resolve("dir").orElseThrow().isUpper()).isTrue();
    assertThat(Posix.lstat(tree.upper().resolve("dir")).ino()).isNotEqualTo(before);
    assertThat(Posix.lstat(ref.resolve("dir")).ino()).isEqualTo(before);
    Files.move(ref.resolve("dir"), ref.resolve("renamed"));
    assertThat(Posix.lstat(ref.resolve("renamed")).ino()).isEqualTo(before);
    Files.createDirectory(ref.resolve("fresh-dir"));
    assertThat(Posix.lstat(ref.resolve("fresh-dir")).ino())
        .isEqualTo(Posix.lstat(tree.upper().resolve("fresh-dir")).ino());
  }

  @Test
  void aReaderOfALowerFileSeesWhatAnotherOpenWroteAfterCopyingItUp() throws IOException {
    try (FileChannel reader = FileChannel.open(ref.resolve("lower.txt"), READ)) {
      ByteBuffer first = ByteBuffer.allocate(2);
      reader.read(first);
      assertThat(reader.position()).isEqualTo(2);
      Files.move(ref.resolve("lower.txt"), ref.resolve("dir/renamed")); // copy-up by rename
      try (FileChannel writer = FileChannel.open(ref.resolve("dir/renamed"), WRITE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        writer.write(ByteBuffer.wrap(bytes("rewritten")));
      }
      ByteBuffer rest = ByteBuffer.allocate(20);
      int n = reader.read(rest); // from its own position, on the copy
      assertThat(new String(rest.array(), 0, n, StandardCharsets.UTF_8)).isEqualTo("written");
      ByteBuffer all = ByteBuffer.allocate(20);
      n = reader.read(all, 0);
      assertThat(new String(all.array(), 0, n, StandardCharsets.UTF_8)).isEqualTo("rewritten");
    }
    assertThat(Files.readString(view.layer("lower").resolve("lower.txt"))).isEqualTo("lower");
  }

  @Test
  void replacingAnOpenFileByRenameKeepsTheOpenOneReadable() throws IOException {
    Files.writeString(ref.resolve("target"), "old");
    Files.writeString(ref.resolve("source"), "new");
    try (FileChannel old = FileChannel.open(ref.resolve("target"), READ)) {
      Files.move(ref.resolve("source"), ref.resolve("target"), StandardCopyOption.ATOMIC_MOVE);

      ByteBuffer back = ByteBuffer.allocate(3);
      old.read(back, 0);
      assertThat(new String(back.array(), StandardCharsets.UTF_8)).isEqualTo("old");
      assertThat(Files.readString(ref.resolve("target"))).isEqualTo("new");
    }
    assertThat(ReadOnlyViewTest.list(ref)).containsExactly("dir", "lower.txt", "target");
  }

  @Test
  void hardLinkedNamesSeeEachOthersWritesAtTheNextOpen() throws IOException {
    Files.writeString(ref.resolve("a"), "version 1");
    Files.createLink(ref.resolve("b"), ref.resolve("a"));
    assertThat(Files.readString(ref.resolve("b"))).isEqualTo("version 1");

    try (FileChannel a = FileChannel.open(ref.resolve("a"), WRITE)) {
      a.write(ByteBuffer.wrap(bytes("version 2")), 0); // same size: no stale-size question
    }

    assertThat(Files.readString(ref.resolve("b"))).isEqualTo("version 2");
    assertThat(Posix.lstat(ref.resolve("a")).nlink()).isEqualTo(2);
    assertThat(Posix.lstat(ref.resolve("b")).ino()).isEqualTo(Posix.lstat(ref.resolve("a")).ino());
  }

  @Test
  void appendsFromTwoOpenFilesBothLand() throws IOException {
    Files.writeString(ref.resolve("log"), "");
    try (FileChannel one = FileChannel.open(ref.resolve("log"), WRITE, APPEND);
         FileChannel two = FileChannel.open(ref.resolve("log"), WRITE, APPEND)) {
      for (int i = 0; i < 10; i++) {
        one.write(ByteBuffer.wrap(bytes("1")));
        two.write(ByteBuffer.wrap(bytes("22")));
      }
    }
    assertThat(Files.readString(ref.resolve("log"))).hasSize(30).containsOnlyDigits();
    assertThat(Files.readString(ref.resolve("log")).chars().filter(c -> c == '1')).hasSize(10);
  }

  @Test
  void theUsualErrnos() {
    assertThat(Errnos.of(() -> Files.readString(ref.resolve("missing")))).isEqualTo(Errno.ENOENT);
    assertThat(Errnos.of(() -> Files.newByteChannel(ref.resolve("lower.txt"), CREATE_NEW, WRITE)))
        .isEqualTo(Errno.EEXIST);
    assertThat(Errnos.of(() -> Files.delete(ref.resolve("dir")))).isEqualTo(Errno.ENOTEMPTY);
    assertThat(Errnos.of(() -> Files.newByteChannel(ref.resolve("dir"), WRITE)))
        .isEqualTo(Errno.EISDIR);
    assertThat(Errnos.of(() -> Files.createFile(ref.resolve("lower.txt/x"))))
        .isEqualTo(Errno.ENOTDIR);
    assertThat(Errnos.of(() -> Files.createFile(ref.resolve("x".repeat(256)))))
        .isEqualTo(Errno.ENAMETOOLONG);
    assertThat(Errnos.of(() -> Files.readString(ref.resolve("x".repeat(300)))))
        .isEqualTo(Errno.ENAMETOOLONG);
    assertThat(Errnos.of(() -> Xattrs.lremovexattr(ref.resolve("lower.txt"), "user.none")))
        .isEqualTo(Errno.ENODATA);
    assertThat(Errnos.of(() -> Xattrs.lsetxattr(ref.resolve("lower.txt"),
        "trusted.overlay.opaque", bytes("y"), 0))).isEqualTo(Errno.EPERM);
  }

  @Test
  void renamesAndLinksBetweenRefsAreCrossDevice() {
    assertThat(Errnos.of(() -> Files.move(ref.resolve("lower.txt"),
        view.ref("other").resolve("moved"), StandardCopyOption.ATOMIC_MOVE)))
        .isEqualTo(Errno.EXDEV);
    assertThat(Errnos.of(() -> Files.createLink(view.ref("other").resolve("link"),
        ref.resolve("lower.txt")))).isEqualTo(Errno.EXDEV);
  }

  @Test
  void renameWithNoReplaceMovesToANewNameAndRefusesAnExistingOne() throws IOException {
    Files.writeString(ref.resolve("taken"), "taken");
    assertThat(Errnos.of(() -> Posix.renameat2(ref.resolve("lower.txt"), ref.resolve("taken"),
        Posix.RENAME_NOREPLACE))).isEqualTo(Errno.EEXIST);
    Posix.renameat2(ref.resolve("lower.txt"), ref.resolve("new"), Posix.RENAME_NOREPLACE);
    assertThat(ref.resolve("lower.txt")).doesNotExist();
    assertThat(Files.readString(ref.resolve("new"))).isEqualTo(Files.readString(
        tree.layers().get(0).resolve("lower.txt")));
  }

  @Test
  void renameWithExchangeSwapsTwoNames() throws IOException {
    Files.writeString(ref.resolve("a"), "first");
    Files.createDirectory(ref.resolve("d"));
    Posix.renameat2(ref.resolve("a"), ref.resolve("d"), Posix.RENAME_EXCHANGE);
    assertThat(ref.resolve("a")).isDirectory();
    assertThat(Files.readString(ref.resolve("d"))).isEqualTo("first");
  }

  @Test
  void fallocateReservesAndPunchesAsOnTheUpper() throws IOException {
    Path f = ref.resolve("lower.txt");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[0]), 0); // opened for writing: copied up
    }
    int fd = Descriptors.open(f, Posix.O_RDWR | Posix.O_CLOEXEC, 0);
    try {
      assertThat(Descriptors.fallocate(fd, 0, 0, 1 << 20)).isZero();
      assertThat(Files.size(f)).isEqualTo(1 << 20);
      int punchHoleKeepSize = 0x02 | 0x01;
      assertThat(Descriptors.fallocate(fd, punchHoleKeepSize, 0, 1 << 20)).isZero();
      assertThat(Files.size(f)).isEqualTo(1 << 20);
    } finally {
      Descriptors.close(fd);
    }
    assertThat(Files.readAllBytes(f)).containsOnly(0);
  }

  @Test
  void statfsReportsTheFilesystemOfTheUpper() throws IOException {
    long total = Files.getFileStore(ref).getTotalSpace();
    assertThat(total).isEqualTo(Posix.statvfs(tree.upper()).totalBytes());
  }

  @Test
  void aNewRefShowsUpAtOnceAndAGoneRefsContentIsNoMore() throws IOException {
    assertThat(Files.exists(view.ref("late"))).isFalse();
    Path layer = view.layer("late");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("f", "late");
    view.addReadOnly("late", layer);

    assertThat(Files.readString(view.ref("late").resolve("f"))).isEqualTo("late");
    assertThat(ReadOnlyViewTest.list(view.mountpoint.resolve("refs")))
        .containsExactly("late", "other", "w");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
