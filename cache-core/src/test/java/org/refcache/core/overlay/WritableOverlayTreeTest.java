package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;
import org.refcache.testing.TreeSnapshot;

/** The copy-on-write engine, one behaviour at a time, checked on the upper's real files. */
class WritableOverlayTreeTest extends WritableTreeFixture {
  @Test
  void copyUpKeepsContentModeOwnerTimesAndXattrs() throws IOException {
    Stat lower = Posix.lstat(fixture.bottom.resolve("a.txt"));
    Path copied = tree.copyUp("a.txt");
    assertThat(copied).isEqualTo(upper.resolve("a.txt"));
    Stat stat = Posix.lstat(copied);
    assertThat(Files.readString(copied)).isEqualTo("alpha");
    assertThat(stat.mode()).isEqualTo(lower.mode());
    assertThat(stat.uid()).isEqualTo(1000);
    assertThat(stat.gid()).isEqualTo(1000);
    assertThat(stat.mtime()).isEqualTo(lower.mtime());
    assertThat(stat.atime()).isEqualTo(lower.atime());
    assertThat(stat.mtime().getNano() % 1000).isNotZero(); // nanoseconds, not micro
    assertThat(Xattrs.lgetxattr(copied, "user.color").map(String::new)).contains("blue");
    assertThat(Xattrs.lgetxattr(copied, "trusted.note").map(String::new)).contains("kept");
    assertThat(tree.resolve("a.txt").orElseThrow().isUpper()).isTrue();
  }

  @Test
  void copyUpKeepsSetuidAndSpecialFiles() throws IOException {
    assertThat(Posix.lstat(tree.copyUp("setuid.bin")).permissions()).isEqualTo(04755);
    Stat dev = Posix.lstat(tree.copyUp("null"));
    assertThat(dev.isCharDevice()).isTrue();
    assertThat(dev.rdev()).isEqualTo(Posix.makedev(1, 3));
    assertThat(dev.gid()).isEqualTo(6);
    assertThat(dev.permissions()).isEqualTo(0660);
    assertThat(Posix.lstat(tree.copyUp("loop")).isBlockDevice()).isTrue();
    assertThat(Posix.lstat(tree.copyUp("fifo")).isFifo()).isTrue();
    Path link = tree.copyUp("dangling");
    assertThat(Files.readSymbolicLink(link))
        .isEqualTo(Files.readSymbolicLink(fixture.bottom.resolve("dangling")));
    assertThat(Posix.lstat(link).mtime())
        .isEqualTo(Posix.lstat(fixture.bottom.resolve("dangling")).mtime());
  }

  @Test
  void copyUpCopiesParentsWithoutChildrenAndKeepsThemMerged() throws IOException {
    Stat lowerSub = Posix.lstat(fixture.top.resolve("dir1/sub"));
    tree.copyUp("dir1/sub/keep.txt");
    Stat sub = Posix.lstat(upper.resolve("dir1/sub"));
    assertThat(sub.mtime()).as("parent times survive the copy-up").isEqualTo(lowerSub.mtime());
    assertThat(sub.permissions()).isEqualTo(lowerSub.permissions());
    assertThat(Posix.lstat(upper.resolve("dir1")).permissions()).isEqualTo(0711);
    assertThat(LayerFiles.isOpaque(upper.resolve("dir1"))).isFalse();
    try (var names = Files.list(upper.resolve("dir1/sub"))) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("keep.txt");
    }
    assertThat(tree.list("dir1/sub")).extracting(DirEntry::name)
        .containsExactly("deep2.txt", "keep.txt");
    assertThat(tree.list("dir1")).extracting(DirEntry::name).containsExactly("f1", "f2", "sub");
  }

  @Test
  void copyUpIsIdempotentAndLeavesLowersAlone() throws IOException {
    Path first = tree.copyUp("dir1/f1");
    Files.writeString(first, "changed");
    assertThat(tree.copyUp("dir1/f1")).isEqualTo(first);
    assertThat(Files.readString(first)).isEqualTo("changed");
    assertThat(Files.readString(fixture.bottom.resolve("dir1/f1"))).isEqualTo("one");
    assertThatThrownBy(() -> tree.copyUp("missing")).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void copyUpDoesNotCopyOverlayPrivateXattrs() throws IOException {
    Path copied = tree.copyUp("dir2");
    assertThat(Xattrs.llistxattr(copied)).doesNotContain(OverlayFormat.OPAQUE_XATTR);
    assertThat(tree.list("dir2")).extracting(DirEntry::name).containsExactly("z.txt");
  }

  @Test
  void openForWriteTruncatingSkipsTheContent() throws IOException {
    Path real = tree.openForWrite("a.txt", true);
    assertThat(Files.size(real)).isZero();
    assertThat(Posix.lstat(real).uid()).isEqualTo(1000);
    assertThat(Files.readString(fixture.bottom.resolve("a.txt"))).isEqualTo("alpha");
    Path again = tree.openForWrite("dir1/f2", false);
    assertThat(Files.readString(again)).isEqualTo("two (top)");
    assertThatThrownBy(() -> tree.openForWrite("dir1", false))
        .isInstanceOf(IsDirectoryException.class);
  }

  @Test
  void createFileHonoursExclusiveAndParents() throws IOException {
    Path created = tree.createFile("dir1/new", 04750, 12, 34, true);
    Stat stat = Posix.lstat(created);
    assertThat(stat.permissions()).isEqualTo(04750);
    assertThat(stat.uid()).isEqualTo(12);
    assertThat(stat.gid()).isEqualTo(34);
    assertThatThrownBy(() -> tree.createFile("dir1/new", 0644, 0, 0, true))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThatThrownBy(() -> tree.createFile("dir1/f1", 0644, 0, 0, true))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(tree.createFile("dir1/f1", 0600, 9, 9, false))).isEqualTo("one");
    assertThatThrownBy(() -> tree.createFile("nope/x", 0644, 0, 0, true))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> tree.createFile("a.txt/x", 0644, 0, 0, true))
        .isInstanceOf(NotDirectoryException.class);
    assertThatThrownBy(() -> tree.createFile("a.txt/y/z", 0644, 0, 0, true))
        .isInstanceOf(NotDirectoryException.class);
    assertThatThrownBy(() -> tree.createFile("dir1", 0644, 0, 0, false))
        .isInstanceOf(IsDirectoryException.class);
  }

  @Test
  void createFileReplacesAWhiteout() throws IOException {
    tree.unlink("a.txt");
    assertThat(Posix.lstat(upper.resolve("a.txt")).isWhiteout()).isTrue();
    Path created = tree.createFile("a.txt", 0600, 0, 0, true);
    assertThat(Posix.lstat(created).isRegularFile()).isTrue();
    assertThat(Files.size(created)).isZero();
    assertThat(tree.listXattr("a.txt")).isEmpty();
  }

  @Test
  void unlinkOfLowerFileLeavesAWhiteout() throws IOException {
    tree.unlink("dir1/f1");
    assertThat(tree.resolve("dir1/f1")).isEmpty();
    assertThat(Posix.lstat(upper.resolve("dir1/f1")).isWhiteout()).isTrue();
    assertThat(tree.list("dir1")).extracting(DirEntry::name).containsExactly("f2", "sub");
    assertThatThrownBy(() -> tree.unlink("dir1/f1")).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void unlinkOfUpperOnlyFileLeavesNothing() throws IOException {
    tree.createFile("fresh", 0644, 0, 0, true);
    tree.unlink("fresh");
    assertThat(Files.exists(upper.resolve("fresh"), java.nio.file.LinkOption.NOFOLLOW_LINKS))
        .isFalse();
  }

  @Test
  void unlinkOfCopiedUpFileReplacesItWithAWhiteout() throws IOException {
    tree.copyUp("a.txt");
    tree.unlink("a.txt");
    assertThat(Posix.lstat(upper.resolve("a.txt")).isWhiteout()).isTrue();
    assertThat(tree.resolve("a.txt")).isEmpty();
  }

  @Test
  void unlinkOfDirectoryIsEisdir() {
    assertThatThrownBy(() -> tree.unlink("dir1"))
        .isInstanceOf(IsDirectoryException.class)
        .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EISDIR));
  }

  @Test
  void rmdirFailsWhileALowerChildRemains() throws IOException {
    assertThatThrownBy(() -> tree.rmdir("dir1/sub"))
        .isInstanceOf(DirectoryNotEmptyException.class)
        .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.ENOTEMPTY));
    tree.unlink("dir1/sub/keep.txt");
    assertThatThrownBy(() -> tree.rmdir("dir1/sub")).isInstanceOf(DirectoryNotEmptyException.class);
  }

  @Test
  void rmdirSucceedsOnceLowerChildrenAreUnlinked() throws IOException {
    tree.unlink("dir1/sub/keep.txt");
    tree.unlink("dir1/sub/deep2.txt");
    assertThat(tree.list("dir1/sub")).isEmpty();
    tree.rmdir("dir1/sub");
    assertThat(tree.resolve("dir1/sub")).isEmpty();
    assertThat(Posix.lstat(upper.resolve("dir1/sub")).isWhiteout()).isTrue();
    assertThat(tree.list("dir1")).extracting(DirEntry::name).containsExactly("f1", "f2");
  }

  @Test
  void rmdirOfEmptyLowerDirAndUpperDir() throws IOException {
    tree.rmdir("emptydir");
    assertThat(Posix.lstat(upper.resolve("emptydir")).isWhiteout()).isTrue();
    tree.mkdir("mine", 0755, 0, 0);
    tree.rmdir("mine");
    assertThat(Files.exists(upper.resolve("mine"), java.nio.file.LinkOption.NOFOLLOW_LINKS))
        .isFalse();
    assertThatThrownBy(() -> tree.rmdir("a.txt")).isInstanceOf(NotDirectoryException.class);
    assertThatThrownBy(() -> tree.rmdir("")).satisfies(
        e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EBUSY));
  }

  @Test
  void mkdirOverAWhiteoutIsOpaque() throws IOException {
    tree.unlink("shared/s2.txt");
    tree.unlink("shared/s1.txt");
    tree.unlink("shared/both.txt");
    tree.rmdir("shared");
    tree.mkdir("shared", 0700, 1, 2);
    assertThat(tree.list("shared")).isEmpty();
    Path real = upper.resolve("shared");
    assertThat(LayerFiles.isOpaque(real)).isTrue();
    assertThat(Posix.lstat(real).permissions()).isEqualTo(0700);
    assertThat(tree.listXattr("shared")).isEmpty();
    assertThatThrownBy(() -> tree.mkdir("shared", 0700, 1, 2))
        .isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void mkdirWhereNothingWasIsNotOpaque() throws IOException {
    tree.mkdir("dir1/brand-new", 0755, 0, 0);
    assertThat(LayerFiles.isOpaque(upper.resolve("dir1/brand-new"))).isFalse();
  }

  @Test
  void renameOfLowerDirectoryWorksWhereOverlayfsSaysExdev() throws IOException {
    Map<String, TreeSnapshot.Entry> before = TreeSnapshot.ofTree(tree, false);
    tree.rename("lowdir", "dir1/moved", 0);
    assertThat(tree.resolve("lowdir")).isEmpty();
    assertThat(Posix.lstat(upper.resolve("lowdir")).isWhiteout()).isTrue();
    assertThat(LayerFiles.isOpaque(upper.resolve("dir1/moved"))).isTrue();
    Map<String, TreeSnapshot.Entry> after = TreeSnapshot.ofTree(tree, false);
    for (Map.Entry<String, TreeSnapshot.Entry> e : before.entrySet()) {
      if (e.getKey().startsWith("lowdir")) {
        String moved = "dir1/moved" + e.getKey().substring("lowdir".length());
        TreeSnapshot.Entry now = after.get(moved);
        assertThat(now).as(moved).isNotNull();
        assertThat(now.describeWithoutTime()).isEqualTo(e.getValue().describeWithoutTime());
        assertThat(now.mtime()).as(moved).isEqualTo(e.getValue().mtime());
      }
    }
    assertThat(Files.readString(fixture.bottom.resolve("lowdir/a/b/leaf"))).isEqualTo("leaf");
  }

  @Test
  void renameOfMergedDirectoryKeepsUpperFilesAndLinks() throws IOException {
    Path written = tree.openForWrite("dir1/f1", false);
    Files.writeString(written, "written");
    tree.link("dir1/f1", "outside");
    tree.unlink("dir1/sub/keep.txt");
    tree.rename("dir1", "renamed", 0);
    assertThat(tree.list("renamed")).extracting(DirEntry::name).containsExactly("f1", "f2", "sub");
    assertThat(tree.list("renamed/sub")).extracting(DirEntry::name).containsExactly("deep2.txt");
    Node f1 = tree.resolve("renamed/f1").orElseThrow();
    assertThat(Files.readString(f1.real())).isEqualTo("written");
    assertThat(f1.stat().nlink()).isEqualTo(2);
    assertThat(f1.stat().ino()).isEqualTo(tree.resolve("outside").orElseThrow().stat().ino());
    assertThat(tree.resolve("dir1")).isEmpty();
    assertThat(OverlayEquivalenceTest.leftoverTemporaries(upper)).isEmpty();
  }

  @Test
  void renameErrorsCarryTheKernelsErrno() {
    assertErrno(() -> tree.rename("a.txt", "dir1", 0), Errno.EISDIR);
    assertErrno(() -> tree.rename("dir1", "a.txt", 0), Errno.ENOTDIR);
    assertErrno(() -> tree.rename("fileToDir", "dir1", 0), Errno.ENOTEMPTY);
    assertErrno(() -> tree.rename("dir1", "dir1/sub/inside", 0), Errno.EINVAL);
    assertErrno(() -> tree.rename("dir1/sub/keep.txt", "dir1", 0), Errno.ENOTEMPTY);
    assertErrno(() -> tree.rename("a.txt", "newtop.txt", Posix.RENAME_NOREPLACE), Errno.EEXIST);
    assertErrno(() -> tree.rename("a.txt", "nothing", Posix.RENAME_EXCHANGE), Errno.ENOENT);
    assertErrno(() -> tree.rename("a.txt", "b",
        Posix.RENAME_EXCHANGE | Posix.RENAME_NOREPLACE), Errno.EINVAL);
    assertErrno(() -> tree.rename("a.txt", "b", Posix.RENAME_WHITEOUT), Errno.EINVAL);
    assertErrno(() -> tree.rename("missing", "b", 0), Errno.ENOENT);
    assertErrno(() -> tree.rename("a.txt", "missing/b", 0), Errno.ENOENT);
    assertErrno(() -> tree.rename("", "b", 0), Errno.EBUSY);
  }

  @Test
  void renameNoreplaceToAFreeNameAndExchange() throws IOException {
    tree.rename("a.txt", "b.txt", Posix.RENAME_NOREPLACE);
    assertThat(tree.resolve("a.txt")).isEmpty();
    assertThat(Files.readString(tree.resolve("b.txt").orElseThrow().real())).isEqualTo("alpha");
    tree.rename("b.txt", "dir2", Posix.RENAME_EXCHANGE);
    assertThat(tree.resolve("b.txt").orElseThrow().isDirectory()).isTrue();
    assertThat(tree.list("b.txt")).extracting(DirEntry::name).containsExactly("z.txt");
    assertThat(tree.resolve("dir2").orElseThrow().isRegularFile()).isTrue();
  }

  @Test
  void renameOverAWhiteoutAndBackToALowerName() throws IOException {
    tree.createFile("gone.txt", 0644, 0, 0, true);
    tree.rename("newtop.txt", "gone.txt", 0);
    assertThat(Files.readString(tree.resolve("gone.txt").orElseThrow().real()))
        .isEqualTo("new on top");
    assertThat(tree.resolve("newtop.txt")).isEmpty();
    tree.rename("dir2", "emptydir", 0);
    assertThat(tree.list("emptydir")).extracting(DirEntry::name).containsExactly("z.txt");
    assertThat(LayerFiles.isOpaque(upper.resolve("emptydir"))).isTrue();
  }

  @Test
  void linkCopiesUpAndCountsLinks() throws IOException {
    tree.link("dir1/f1", "f1-link");
    Node a = tree.resolve("dir1/f1").orElseThrow();
    Node b = tree.resolve("f1-link").orElseThrow();
    assertThat(a.isUpper()).isTrue();
    assertThat(a.stat().ino()).isEqualTo(b.stat().ino());
    assertThat(b.stat().nlink()).isEqualTo(2);
    assertErrno(() -> tree.link("dir1", "dirlink"), Errno.EPERM);
    assertErrno(() -> tree.link("dir1/f2", "f1-link"), Errno.EEXIST);
  }

  @Test
  void symlinkTargetsAreKeptByteForByteAlsoThroughCopyUp() throws IOException {
    Posix.symlink("x//y/./", fixture.bottom.resolve("odd-link"));
    tree.symlink("a//b/", "new-link", 0, 0);
    assertThat(Posix.readlink(tree.resolve("new-link").get().real())).isEqualTo("a//b/");
    Path copied = tree.copyUp("odd-link");
    assertThat(Posix.readlink(copied)).isEqualTo("x//y/./");
  }

  @Test
  void symlinkAndMknodCreateTheirTypes() throws IOException {
    tree.symlink("../somewhere", "dir1/ln", 7, 8);
    Node ln = tree.resolve("dir1/ln").orElseThrow();
    assertThat(Files.readSymbolicLink(ln.real()).toString()).isEqualTo("../somewhere");
    assertThat(ln.stat().uid()).isEqualTo(7);
    tree.mknod("p", Posix.S_IFIFO | 0620, 0, 1, 1);
    assertThat(tree.resolve("p").orElseThrow().stat().isFifo()).isTrue();
    tree.mknod("d", Posix.S_IFBLK | 0600, Posix.makedev(8, 1), 0, 0);
    assertThat(tree.resolve("d").orElseThrow().stat().rdev()).isEqualTo(Posix.makedev(8, 1));
    tree.mknod("plain", 0640, 0, 0, 0);
    assertThat(tree.resolve("plain").orElseThrow().isRegularFile()).isTrue();
  }

  @Test
  void mknodOfAWhiteoutDeviceIsRefused() {
    assertThatThrownBy(() -> tree.mknod("fake", Posix.S_IFCHR | 0600, 0, 0, 0))
        .isInstanceOf(AccessDeniedException.class)
        .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EPERM));
    assertErrno(() -> tree.mknod("d", Posix.S_IFDIR | 0755, 0, 0, 0), Errno.EPERM);
  }

  @Test
  void attributeChangesCopyUpAndApply() throws IOException {
    tree.chmod("dir1/f1", 02750);
    tree.chown("dir1/f1", 77, -1);
    Instant when = Instant.parse("2020-05-06T07:08:09.123456789Z");
    tree.utimens("dir1/f1", null, when);
    Stat stat = tree.resolve("dir1/f1").orElseThrow().stat();
    assertThat(stat.uid()).isEqualTo(77);
    assertThat(stat.gid()).isZero();
    assertThat(stat.mtime()).isEqualTo(when);
    assertThat(Posix.lstat(fixture.bottom.resolve("dir1/f1")).permissions()).isEqualTo(0644);
    tree.utimens("link", when, when);
    assertThat(tree.resolve("link").orElseThrow().stat().mtime()).isEqualTo(when);
    assertThat(Posix.lstat(tree.resolve("a.txt").orElseThrow().real()).mtime())
        .isNotEqualTo(when);
    assertErrno(() -> tree.chmod("link", 0700), Errno.EOPNOTSUPP);
  }

  @Test
  void truncateCopiesUpAndResizes() throws IOException {
    tree.truncate("a.txt", 3);
    assertThat(Files.readString(tree.resolve("a.txt").orElseThrow().real())).isEqualTo("alp");
    tree.truncate("dir1/f1", 0);
    assertThat(Files.size(tree.resolve("dir1/f1").orElseThrow().real())).isZero();
    tree.truncate("newtop.txt", 1 << 20);
    assertThat(Files.size(tree.resolve("newtop.txt").orElseThrow().real())).isEqualTo(1 << 20);
    assertErrno(() -> tree.truncate("dir1", 0), Errno.EISDIR);
    assertErrno(() -> tree.truncate("fifo", 0), Errno.EINVAL);
  }

  @Test
  void xattrsAreWrittenOnTheUpperAndOverlaysOwnAreHidden() throws IOException {
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    tree.setXattr("dir1/f1", "user.k", value, 0);
    assertThat(tree.getXattr("dir1/f1", "user.k")).hasValue(value);
    assertThat(Xattrs.lgetxattr(fixture.bottom.resolve("dir1/f1"), "user.k")).isEmpty();
    tree.removeXattr("a.txt", "user.color");
    assertThat(tree.listXattr("a.txt")).containsExactly("trusted.note");
    assertErrno(() -> tree.removeXattr("a.txt", "user.color"), Errno.ENODATA);
    assertErrno(() -> tree.setXattr("dir1", OverlayFormat.OPAQUE_XATTR, value, 0),
        Errno.EPERM);
    assertErrno(() -> tree.removeXattr("dir2", OverlayFormat.OPAQUE_XATTR), Errno.EPERM);
    assertErrno(() -> tree.setXattr("a.txt", "user.k", value, Xattrs.XATTR_REPLACE),
        Errno.ENODATA);
    assertThat(tree.getXattr("dir2", OverlayFormat.OPAQUE_XATTR)).isEmpty();
  }

  @Test
  void frozenTreeRefusesEveryMutation() throws IOException {
    tree.freeze();
    assertThat(tree.frozen()).isTrue();
    assertThat(tree.isWritable()).isFalse();
    byte[] v = {1};
    List<Mutation> mutations = List.of(
        () -> tree.copyUp("a.txt"),
        () -> tree.openForWrite("a.txt", false),
        () -> tree.createFile("x", 0644, 0, 0, true),
        () -> tree.mkdir("x", 0755, 0, 0),
        () -> tree.mknod("x", Posix.S_IFIFO | 0644, 0, 0, 0),
        () -> tree.symlink("t", "x", 0, 0),
        () -> tree.link("a.txt", "x"),
        () -> tree.unlink("a.txt"),
        () -> tree.rmdir("emptydir"),
        () -> tree.rename("a.txt", "x", 0),
        () -> tree.chmod("a.txt", 0600),
        () -> tree.chown("a.txt", 1, 1),
        () -> tree.utimens("a.txt", null, Instant.EPOCH),
        () -> tree.truncate("a.txt", 0),
        () -> tree.setXattr("a.txt", "user.x", v, 0),
        () -> tree.removeXattr("a.txt", "user.color"));
    for (Mutation mutation : mutations) {
      assertThatThrownBy(mutation::run).isInstanceOf(ReadOnlyFileSystemException.class)
          .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EROFS));
    }
    try (var names = Files.list(upper)) {
      assertThat(names).isEmpty();
    }
    assertThat(tree.resolve("a.txt")).isPresent();
    assertThat(tree.list("")).isNotEmpty();
  }

  @Test
  void writableTreeOverNoLowers() throws IOException {
    Path alone = Files.createDirectory(base.resolve("alone"));
    WritableOverlayTree empty = new WritableOverlayTree(alone, List.of());
    assertThat(empty.list("")).isEmpty();
    empty.mkdir("d", 0755, 0, 0);
    empty.createFile("d/f", 0644, 0, 0, true);
    empty.rename("d", "e", 0);
    assertThat(empty.list("e")).extracting(DirEntry::name).containsExactly("f");
    empty.unlink("e/f");
    empty.rmdir("e");
    try (var names = Files.list(alone)) {
      assertThat(names).as("no whiteouts without lowers").isEmpty();
    }
  }

  @Test
  void upperMustBeADirectoryAndNotALower() {
    assertThatThrownBy(() -> new WritableOverlayTree(base.resolve("nope"), fixture.lowers()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WritableOverlayTree(fixture.top, fixture.lowers()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readersNeverSeeADirectoryRenameHalfDone() throws Exception {
    LayerBuilder big = new LayerBuilder(base.resolve("big"));
    big.dir("a");
    for (int i = 0; i < 50; i++) {
      big.file("a/f" + i, "content " + i);
    }
    Path bigUpper = Files.createDirectory(base.resolve("big-upper"));
    WritableOverlayTree union = new WritableOverlayTree(bigUpper, List.of(big.root()));
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      Future<?> writer = pool.submit(() -> {
        for (int i = 0; i < 20; i++) {
          union.rename(i % 2 == 0 ? "a" : "b", i % 2 == 0 ? "b" : "a", 0);
        }
        done.set(true);
        return null;
      });
      List<Future<Integer>> readers = List.of(pool.submit(() -> observe(union, done)),
          pool.submit(() -> observe(union, done)));
      writer.get();
      for (Future<Integer> reader : readers) {
        assertThat(reader.get()).isPositive();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(union.list("a")).hasSize(50);
  }

  /**
   * A union path under PATH_MAX whose real path in the upper is over it (the upper's own path is
   * in front): every operation still reaches it, as on a plain filesystem.
   */
  @Test
  void pathsWhoseUpperFileIsLongerThanPathMaxWork() throws IOException {
    // A long upper path, so that the directory's real path is already over the limit.
    Path upper = Files.createDirectory(base.resolve("u".repeat(250)));
    WritableOverlayTree tree = new WritableOverlayTree(upper, fixture.lowers());
    String dir = "d".repeat(255);
    tree.mkdir(dir, 0755, 0, 0);
    while (dir.length() + 256 + 100 < 4095) {
      dir = dir + "/" + "d".repeat(255);
      tree.mkdir(dir, 0755, 0, 0);
    }
    String name = "f".repeat(4095 - dir.length() - 1 - 10);
    String file = dir + "/" + name;
    assertThat(upper.resolve(dir).toString().length()).isGreaterThan(4096);
    Path real = tree.createFile(file, 0644, 0, 0, true);
    Descriptors.close(Descriptors.open(real, Posix.O_WRONLY, 0));
    tree.chmod(file, 0600);
    tree.setXattr(file, "user.k", "v".getBytes(StandardCharsets.UTF_8), 0);
    tree.symlink("file", dir + "/link", 0, 0);
    tree.link(file, dir + "/hard");
    tree.rename(file, dir + "/moved", 0);
    assertThat(tree.list(dir)).extracting(DirEntry::name)
        .containsExactlyInAnyOrder("hard", "link", "moved");
    assertThat(tree.resolve(dir + "/" + name)).isEmpty();
    Node moved = tree.resolve(dir + "/moved").orElseThrow();
    assertThat(moved.stat().permissions()).isEqualTo(0600);
    assertThat(moved.stat().nlink()).isEqualTo(2);
    assertThat(tree.getXattr(dir + "/moved", "user.k")).isPresent();
    tree.unlink(dir + "/hard");
    tree.unlink(dir + "/link");
    tree.unlink(dir + "/moved");
    while (!dir.isEmpty()) {
      tree.rmdir(dir);
      int slash = dir.lastIndexOf('/');
      dir = slash < 0 ? "" : dir.substring(0, slash);
    }
    assertThat(tree.list("")).extracting(DirEntry::name).doesNotContain("d".repeat(255));
  }

  /** Reads the union until {@code done}; every view must have exactly one complete directory. */
  private static int observe(WritableOverlayTree union, AtomicBoolean done) throws IOException {
    int views = 0;
    while (!done.get() || views == 0) {
      List<DirEntry> root = union.list("");
      assertThat(root).hasSize(1);
      String name = root.get(0).name();
      try {
        assertThat(union.list(name)).hasSize(50);
      } catch (NoSuchFileException movedInBetween) {
        continue; // two reads, two views: the directory moved between them
      }
      views++;
    }
    return views;
  }

  @FunctionalInterface
  private interface Mutation {
    void run() throws IOException;
  }

  private static void assertErrno(Mutation mutation, int errno) {
    assertThatThrownBy(mutation::run)
        .satisfies(e -> assertThat(ErrnoMapper.name(ErrnoMapper.toErrno(e)))
            .as(String.valueOf(e)).isEqualTo(ErrnoMapper.name(errno)));
  }
}
