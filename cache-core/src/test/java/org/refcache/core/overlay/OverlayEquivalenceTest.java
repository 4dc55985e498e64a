package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;
import org.refcache.testing.TreeSnapshot;

/**
 * The equivalence harness: the same operations applied to a {@link WritableOverlayTree} over two
 * lowers and to a plain directory that starts as the flattened lowers must give the same outcome
 * (success, or the same errno) and the same tree, entry by entry, after every operation. At the
 * end, kernel overlayfs mounting our upper over the same lowers must show the same tree too.
 *
 * <p>Modification times are compared except where they are the time of the operation itself
 * (which differs between the two trees by a few microseconds): the harness tracks which inodes of
 * the plain tree an operation stamped with "now", and a later utimens pins them again.
 */
class OverlayEquivalenceTest {

  @TempDir
  Path base;

  private Fixture fixture;
  private Path upper;
  private Path plain;
  private WritableOverlayTree tree;
  private TreeOps overlayOps;
  private TreeOps plainOps;
  private final Set<Long> stampedInodes = new HashSet<>();
  private final List<String> log = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    fixture = Fixture.create(base);
    upper = Files.createDirectory(base.resolve("upper"));
    plain = Files.createDirectory(base.resolve("plain"));
    fixture.flattenInto(plain);
    tree = new WritableOverlayTree(upper, fixture.lowers());
    overlayOps = new TreeOps.Overlay(tree);
    plainOps = new TreeOps.Plain(plain);
  }

  @Test
  void unionOfUntouchedLowersEqualsFlattenedLayers() throws IOException {
    assertSameTree();
  }

  @Test
  void scriptedOperationsKeepTheUnionEqualToAPlainDirectory() throws IOException {
    byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
    Instant fixed = Instant.parse("2010-01-02T03:04:05.987654321Z");
    step("write into a lower file", o -> o.write("a.txt", 0, "ALPHA!".getBytes()), "a.txt");
    step("create exclusive", o -> o.createFile("new.txt", 0640, 10, 20, true), "new.txt", "");
    step("write new file", o -> o.write("new.txt", 3, hello), "new.txt");
    step("create exclusive existing", o -> o.createFile("new.txt", 0600, 0, 0, true));
    step("create non-exclusive over lower file", o -> o.createFile("dir1/f2", 0600, 0, 0, false));
    step("create where the top layer whited out", o -> o.createFile("dir1/sub/deep.txt", 0644,
        1, 1, true), "dir1/sub/deep.txt", "dir1/sub");
    step("unlink whited-out name", o -> o.unlink("gone.txt"));
    step("unlink lower file", o -> o.unlink("dir1/f1"), "dir1");
    step("rmdir lower dir with children", o -> o.rmdir("dir1"));
    step("unlink a directory", o -> o.unlink("dir1"));
    step("rename merged lower dir", o -> o.rename("dir1", "moved", 0), "");
    step("rename lower file into moved dir", o -> o.rename("newtop.txt", "moved/newtop.txt", 0),
        "", "moved");
    step("mkdir over the whiteout of a moved dir", o -> o.mkdir("dir1", 0700, 3, 4), "dir1", "");
    step("create in new opaque dir", o -> o.createFile("dir1/again", 0644, 0, 0, true),
        "dir1/again", "dir1");
    step("rename merged dir over empty lower dir", o -> o.rename("shared", "emptydir", 0), "");
    step("rmdir non-empty lower dir", o -> o.rmdir("lowdir"));
    step("unlink lower child", o -> o.unlink("lowdir/top"), "lowdir");
    step("rename deep lower file up", o -> o.rename("lowdir/a/b/leaf", "lowdir/leaf2", 0),
        "lowdir/a/b", "lowdir");
    step("rmdir lower leaf dir", o -> o.rmdir("lowdir/a/b"), "lowdir/a");
    step("rmdir lower dir now empty", o -> o.rmdir("lowdir/a"), "lowdir");
    step("rmdir still holding a renamed file", o -> o.rmdir("lowdir"));
    step("rename dir into its own subtree", o -> o.rename("moved", "moved/sub/x", 0));
    step("rename file over dir", o -> o.rename("a.txt", "dir2", 0));
    step("rename dir over file", o -> o.rename("dir2", "a.txt", 0));
    step("rename dir over non-empty dir", o -> o.rename("fileToDir", "dir2", 0));
    step("rename noreplace", o -> o.rename("link", "a.txt", Posix.RENAME_NOREPLACE));
    step("rename exchange file and dir", o -> o.rename("a.txt", "fileToDir",
        Posix.RENAME_EXCHANGE), "");
    step("symlink", o -> o.symlink("target/../x", "sym1", 5, 6), "sym1", "");
    step("hard link a lower file", o -> o.link("moved/f2", "hard"), "");
    step("write through one link", o -> o.write("hard", 0, hello), "hard");
    step("hard link a directory", o -> o.link("moved", "dirlink"));
    step("chmod keeps setuid", o -> o.chmod("setuid.bin", 06711));
    step("chown one id", o -> o.chown("dirToFile", 42, -1));
    step("utimens lower file", o -> o.utimens("fileToDir/inner.txt", fixed, fixed));
    step("utimens symlink itself", o -> o.utimens("sym1", fixed, fixed));
    step("utimens mtime only", o -> o.utimens("new.txt", null, fixed));
    step("mkfifo", o -> o.mknod("fifo2", Posix.S_IFIFO | 0644, 0, 7, 7), "fifo2", "");
    step("mknod char device", o -> o.mknod("dev2", Posix.S_IFCHR | 0600,
        Posix.makedev(1, 5), 0, 0), "dev2", "");
    step("set xattr on merged dir", o -> o.setXattr("fileToDir", "user.k", hello, 0));
    step("remove lower xattr", o -> o.removeXattr("moved/sub", "user.none"));
    step("remove lower xattr (present)", o -> o.removeXattr("emptydir", "user.layer"));
    step("replace missing xattr", o -> o.setXattr("sym1", "trusted.x", hello,
        Xattrs.XATTR_REPLACE));
    step("user xattr on a symlink", o -> o.setXattr("sym1", "user.x", hello, 0));
    step("trusted xattr on a symlink", o -> o.setXattr("sym1", "trusted.x", hello, 0));
    step("truncate lower file shorter", o -> o.truncate("moved/sub/keep.txt", 2),
        "moved/sub/keep.txt");
    step("truncate extends", o -> o.truncate("moved/f2", 100), "moved/f2");
    step("truncate dir", o -> o.truncate("moved", 0));
    step("truncate fifo", o -> o.truncate("fifo", 0));
    step("open truncating lower file", o -> o.openTruncating("setuid.bin"), "setuid.bin");
    step("rename lower fifo", o -> o.rename("fifo", "dir2/fifo", 0), "", "dir2");
    step("rename lower device deep", o -> o.rename("null", "moved/sub/null", 0), "",
        "moved/sub");
    step("unlink lower symlink", o -> o.unlink("link"), "");
    step("chmod merged dir", o -> o.chmod("moved", 0700));
    step("rename mixed dir", o -> o.rename("moved/sub", "sub2", 0), "moved", "");
    step("rename upper dir to lower-opaque dir", o -> o.rename("sub2", "dir2/sub2", 0), "",
        "dir2");
    step("exchange dirs", o -> o.rename("dir2", "emptydir", Posix.RENAME_EXCHANGE), "");
    step("rename lower file over lower file", o -> o.rename("fileToDir/inner.txt",
        "dirToFile", 0), "fileToDir", "");
    // "rename exchange file and dir" made a.txt a directory, so this creates a.txt/x.
    step("create below a file", o -> o.createFile("a.txt/x", 0644, 0, 0, true), "a.txt/x", "a.txt");
    step("mkdir below missing", o -> o.mkdir("nope/x", 0755, 0, 0));
    step("rmdir a file", o -> o.rmdir("setuid.bin"));
    step("rename missing", o -> o.rename("nope", "nope2", 0));
    step("rename onto own ancestor", o -> o.rename("emptydir/sub2/deep2.txt", "emptydir", 0));
    step("rename same name", o -> o.rename("hard", "hard", 0));
    step("rename hard link over its twin", o -> o.rename("hard", "moved/f2", 0));
    step("rmdir emptied opaque dir", o -> o.rmdir("dir1"));
    step("unlink upper file", o -> o.unlink("dir1/again"), "dir1");
    step("rmdir emptied opaque dir", o -> o.rmdir("dir1"), "");
    step("mkdir where a lower dir was", o -> o.mkdir("dir1", 0755, 0, 0), "dir1", "");
    step("mkdir existing", o -> o.mkdir("moved", 0755, 0, 0));
    assertSameAsKernelOverlay();
  }

  @ParameterizedTest(name = "seed {0}")
  @org.junit.jupiter.params.provider.MethodSource("seeds")
  void randomOperationsKeepTheUnionEqualToAPlainDirectory(long seed) throws IOException {
    Random random = new Random(seed);
    for (int i = 0; i < Integer.getInteger("overlay.steps", 120); i++) {
      randomStep(random, i);
    }
    assertSameAsKernelOverlay();
  }

  static java.util.stream.LongStream seeds() {
    return java.util.stream.LongStream.rangeClosed(1, Long.getLong("overlay.seeds", 8));
  }

  // ---- the harness ------------------------------------------------------------------------------

  @FunctionalInterface
  interface Operation {
    void apply(TreeOps ops) throws IOException;
  }

  /**
   * Applies {@code operation} to both trees, checks both fail alike or both succeed, then that
   * the trees are equal. {@code stamped} are the paths whose inode the operation, when it
   * succeeds, stamps with the current time.
   */
  private void step(String description, Operation operation, String... stamped)
      throws IOException {
    log.add(description);
    String plainOutcome = outcome(operation, plainOps);
    String overlayOutcome = outcome(operation, overlayOps);
    assertThat(errnoOf(overlayOutcome))
        .as("outcome of \"%s\" (plain: %s, union: %s); steps: %s", description, plainOutcome,
            overlayOutcome, log)
        .isEqualTo(errnoOf(plainOutcome));
    if (plainOutcome.equals("ok")) {
      for (String path : stamped) {
        Path real = path.isEmpty() ? plain : plain.resolve(path);
        if (Files.exists(real, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          stampedInodes.add(Posix.lstat(real).ino());
        }
      }
    }
    assertSameTree();
  }

  private static String outcome(Operation operation, TreeOps ops) {
    try {
      operation.apply(ops);
      return "ok";
    } catch (IOException | RuntimeException e) {
      return ErrnoMapper.name(ErrnoMapper.toErrno(e)) + " " + e;
    }
  }

  private static String errnoOf(String outcome) {
    int space = outcome.indexOf(' ');
    return space < 0 ? outcome : outcome.substring(0, space);
  }

  private void assertSameTree() throws IOException {
    Map<String, TreeSnapshot.Entry> expected = TreeSnapshot.ofDirectory(plain, false);
    Map<String, TreeSnapshot.Entry> actual = TreeSnapshot.ofTree(tree, false);
    Map<String, String> expectedView = new LinkedHashMap<>();
    Map<String, String> actualView = new LinkedHashMap<>();
    for (Map.Entry<String, TreeSnapshot.Entry> e : expected.entrySet()) {
      TreeSnapshot.Entry entry = e.getValue();
      boolean compareTime = !stampedInodes.contains(entry.inode());
      expectedView.put(e.getKey(), describe(entry, compareTime));
      TreeSnapshot.Entry other = actual.get(e.getKey());
      if (other != null) {
        actualView.put(e.getKey(), describe(other, compareTime));
      }
    }
    for (Map.Entry<String, TreeSnapshot.Entry> e : actual.entrySet()) {
      actualView.putIfAbsent(e.getKey(), describe(e.getValue(), true));
    }
    assertThat(differences(actualView, expectedView)).as("union vs plain after %s", log)
        .isEmpty();
    assertThat(leftoverTemporaries(upper)).as("temporary entries left in the upper").isEmpty();
  }

  private static String describe(TreeSnapshot.Entry entry, boolean withTime) {
    return entry.describeWithoutTime() + (withTime ? " mtime=" + entry.mtime() : "");
  }

  static List<Path> leftoverTemporaries(Path upper) throws IOException {
    try (Stream<Path> all = Files.walk(upper)) {
      return all.filter(p -> p.getFileName().toString()
          .startsWith(WritableOverlayTree.TEMP_PREFIX)).toList();
    }
  }

  /** Kernel overlayfs over the same lowers with our upper shows exactly our tree. */
  private void assertSameAsKernelOverlay() throws IOException {
    Map<String, TreeSnapshot.Entry> ours = TreeSnapshot.ofTree(tree, true);
    Map<String, TreeSnapshot.Entry> kernel;
    try (KernelOverlay mount = KernelOverlay.mount(fixture.lowers(), upper, base)) {
      kernel = TreeSnapshot.ofDirectory(mount.mountpoint(), true);
    }
    assertThat(differences(view(ours), view(kernel))).as("union vs kernel overlayfs").isEmpty();
  }

  /** The entries that differ, as "path: actual <> expected", for short failure messages. */
  static List<String> differences(Map<String, String> actual, Map<String, String> expected) {
    List<String> differences = new ArrayList<>();
    Set<String> paths = new java.util.TreeSet<>(actual.keySet());
    paths.addAll(expected.keySet());
    for (String path : paths) {
      String a = actual.get(path);
      String e = expected.get(path);
      if (a == null || !a.equals(e)) {
        differences.add(path + ":\n    actual   " + a + "\n    expected " + e);
      }
    }
    return differences;
  }

  static Map<String, String> view(Map<String, TreeSnapshot.Entry> snapshot) {
    Map<String, String> view = new LinkedHashMap<>();
    snapshot.forEach((path, entry) -> view.put(path, describe(entry, true)));
    return view;
  }

  // ---- random operations ---------------------------------------------------------------------

  private void randomStep(Random random, int index) throws IOException {
    Map<String, TreeSnapshot.Entry> now = TreeSnapshot.ofDirectory(plain, false);
    List<String> paths = new ArrayList<>(now.keySet());
    List<String> dirs = new ArrayList<>();
    dirs.add("");
    now.forEach((p, e) -> {
      if (e.type() == Posix.S_IFDIR) {
        dirs.add(p);
      }
    });
    String existing = paths.isEmpty() ? "none" : paths.get(random.nextInt(paths.size()));
    String other = paths.isEmpty() ? "none" : paths.get(random.nextInt(paths.size()));
    String fresh = TreePath.child(dirs.get(random.nextInt(dirs.size())), "r" + index);
    String any = random.nextInt(4) == 0 ? fresh : existing;
    int type = now.containsKey(any) ? now.get(any).type() : 0;
    boolean fileOrDirOrMissing = type == 0 || type == Posix.S_IFREG || type == Posix.S_IFDIR;
    int uid = random.nextInt(3) * 1000;
    int mode = new int[] {0644, 0755, 0600, 04755, 01777, 0}[random.nextInt(6)];
    byte[] data = ("data" + index + "-" + random.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
    Instant time = LayerBuilder.EPOCH.plusSeconds(random.nextInt(100000)).plusNanos(index);
    // Every random choice is made here, once: an operation runs twice (plain, union).
    int offset = random.nextInt(8);
    int size = random.nextInt(20);
    int gid = random.nextBoolean() ? -1 : 7;
    switch (random.nextInt(17)) {
      case 0 -> step("create " + fresh, o -> o.createFile(fresh, mode, uid, uid, true), fresh,
          TreePath.parent(fresh));
      case 1 -> {
        if (fileOrDirOrMissing) {
          step("write " + any, o -> o.write(any, offset, data), any);
        }
      }
      case 2 -> {
        if (fileOrDirOrMissing) {
          step("open truncating " + any, o -> o.openTruncating(any), any);
        }
      }
      case 3 -> step("truncate " + any, o -> o.truncate(any, size), any);
      case 4 -> step("mkdir " + any, o -> o.mkdir(any, mode | 0700, uid, 0), any,
          TreePath.parent(any));
      case 5 -> step("rmdir " + existing, o -> o.rmdir(existing), TreePath.parent(existing));
      case 6 -> step("unlink " + existing, o -> o.unlink(existing), TreePath.parent(existing));
      case 7, 8 -> {
        String to = random.nextBoolean() ? fresh : other;
        int flags = new int[] {0, 0, 0, Posix.RENAME_NOREPLACE, Posix.RENAME_EXCHANGE}
            [random.nextInt(5)];
        step("rename " + existing + " -> " + to + " flags " + flags,
            o -> o.rename(existing, to, flags), TreePath.parent(existing), TreePath.parent(to));
      }
      case 9 -> step("symlink " + fresh, o -> o.symlink("t/" + index, fresh, uid, 0), fresh,
          TreePath.parent(fresh));
      case 10 -> step("link " + existing + " " + fresh, o -> o.link(existing, fresh),
          TreePath.parent(fresh));
      case 11 -> {
        if (type != Posix.S_IFLNK) {
          step("chmod " + any, o -> o.chmod(any, mode));
        }
      }
      case 12 -> step("chown " + any, o -> o.chown(any, uid, gid));
      case 13 -> {
        Instant mtime = random.nextBoolean() ? time : null;
        step("utimens " + any, o -> o.utimens(any, time, mtime));
        if (mtime != null && now.containsKey(any)) {
          stampedInodes.remove(now.get(any).inode());
          assertSameTree();
        }
      }
      case 14 -> {
        int nodeType = new int[] {Posix.S_IFIFO, Posix.S_IFCHR, Posix.S_IFBLK, Posix.S_IFREG}
            [random.nextInt(4)];
        step("mknod " + fresh, o -> o.mknod(fresh, nodeType | 0640, Posix.makedev(1, 7), uid,
            0), fresh, TreePath.parent(fresh));
      }
      case 15 -> {
        String name = random.nextBoolean() ? "user.r" : "trusted.r";
        int flags = new int[] {0, Xattrs.XATTR_CREATE, Xattrs.XATTR_REPLACE}[random.nextInt(3)];
        step("setxattr " + any + " " + name, o -> o.setXattr(any, name, data, flags));
      }
      case 16 -> {
        String name = new String[] {"user.r", "trusted.r", "user.color", "user.layer"}
            [random.nextInt(4)];
        step("removexattr " + any + " " + name, o -> o.removeXattr(any, name));
      }
      default -> throw new AssertionError();
    }
  }

  @Test
  void harnessDetectsADifference() throws IOException {
    // The harness itself must fail when the trees differ: change the plain side only.
    Files.writeString(plain.resolve("a.txt"), "changed behind the union's back");
    org.assertj.core.api.Assertions.assertThatThrownBy(this::assertSameTree)
        .isInstanceOf(AssertionError.class);
    assertThat(Errno.EISDIR).isEqualTo(ErrnoMapper.toErrno(new IsDirectoryException("x")));
  }
}
