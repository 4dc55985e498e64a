package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.refcache.daemon.LayerTar.t;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * {@code refcache merge} and {@code refcache diff}, read through the real FUSE mount, with layers
 * built to exercise every rule of the union (spec 5.1) and of a change set (spec 5.2): later files
 * win, directories unite with the later metadata, later whiteouts delete earlier inputs' paths,
 * opaque directories hide what is below, a directory and a file replace each other whole, hard links
 * and file capabilities survive; a diff shows what was added or changed with the directories
 * holding it, and applies its deletions as a merge input.
 */
class MergeDiffViewTest {
  private static ServiceFixture svc;
  private static int files;

  /** A file capability (v2, CAP_NET_RAW permitted), every byte below 0x80 so it survives the PAX text. */
  private static final String CAP = new String(new byte[] {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0}, StandardCharsets.ISO_8859_1);

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

  private static LayerTar.File file(String path, String content, long tick) {
    return new LayerTar.File(path, 0644, 0, 0, t(1_600_000_000L + tick, (int) tick), Map.of(),
        content.getBytes(StandardCharsets.UTF_8));
  }

  private static LayerTar.Dir dir(String path, int mode, long tick) {
    return new LayerTar.Dir(path, mode, 0, 0, t(1_600_000_000L + tick, (int) tick), Map.of());
  }

  /** An OCI whiteout of {@code path} (its last component prefixed with {@code .wh.}). */
  private static LayerTar.File whiteout(String path) {
    int slash = path.lastIndexOf('/');
    return new LayerTar.File(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), 0644, 0, 0,
        t(1_600_000_000L, 0), Map.of(), new byte[0]);
  }

  private static LayerTar.File opaque(String dir) {
    return new LayerTar.File(dir + "/.wh..wh..opq", 0644, 0, 0, t(1_600_000_000L, 0), Map.of(), new byte[0]);
  }

  /** Imports a layer of {@code entries} over {@code parent} (may be null); its ID. */
  private static String layer(String parent, LayerTar.Entry... entries) throws IOException {
    Path tar = svc.dir.resolve("layer-" + files++ + ".tar");
    Files.write(tar, LayerTar.tar(List.of(entries)));
    return parent == null ? svc.ok("import", tar.toString()) : svc.ok("import", "--parent", parent, tar.toString());
  }

  private static String read(String id, String path) throws IOException {
    return Files.readString(svc.tree(id).resolve(path));
  }

  private static boolean exists(String id, String path) {
    return Files.exists(svc.tree(id).resolve(path), java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  private static List<String> names(String id, String dir) throws IOException {
    try (Stream<Path> s = Files.list(svc.tree(id).resolve(dir))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Every path under the ref's tree with its type and content, as a walk through the mount sees it. */
  private static TreeMap<String, String> walk(String id) throws IOException {
    Path root = svc.tree(id);
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> !p.equals(root)).toList()) {
        Stat st = Posix.lstat(p);
        String what = st.isDirectory() ? "dir" : st.isSymlink() ? "link " + Files.readSymbolicLink(p)
            : st.isRegularFile() ? "file " + Files.readString(p) : "other";
        out.put(root.relativize(p).toString(), what);
      }
    }
    return out;
  }

  private static TreeMap<String, String> tree(String... pathThenWhat) {
    TreeMap<String, String> m = new TreeMap<>();
    for (int i = 0; i < pathThenWhat.length; i += 2) {
      m.put(pathThenWhat[i], pathThenWhat[i + 1]);
    }
    return m;
  }

  // ---- the layers: A, then B on A; C; D --------------------------------------------------------

  private static String a() throws IOException {
    return layer(null,
        dir("bar", 0755, 1), file("bar/A", "A's A", 2), file("foo", "A's foo", 3),
        new LayerTar.Symlink("link", 0, 0, t(1_600_000_004L, 4), "foo"),
        dir("etc", 0755, 5), file("etc/x", "x", 6),
        dir("bin", 0755, 7),
        new LayerTar.File("bin/ping", 04755, 1000, 1001, t(1_600_000_008L, 8), Map.of("security.capability", CAP),
            "ping".getBytes(StandardCharsets.UTF_8)),
        new LayerTar.HardLink("bin/ping6", "bin/ping"));
  }

  private static String b(String a) throws IOException {
    return layer(a,
        whiteout("foo"),
        dir("bar", 0755, 11), file("bar/B", "B's B", 12),
        dir("etc", 0750, 13), opaque("etc"), file("etc/y", "y", 14));
  }

  private static String c() throws IOException {
    return layer(null,
        file("foo", "C's foo", 21),
        dir("bar", 0700, 22), file("bar/A", "C's A", 23),
        dir("etc", 0755, 24), file("etc/z", "z", 25),
        file("thing", "a file", 26));
  }

  private static String d() throws IOException {
    return layer(null, dir("thing", 0755, 31), file("thing/inside", "in a dir", 32));
  }

  // ---- merge -----------------------------------------------------------------------------------

  @Test
  void mergeStacksEveryLayerOfItsInputsInOrder() throws IOException {
    String b = b(a());
    String c = c();

    String bc = svc.ok("merge", b, c);
    assertThat(svc.info(bc).path("kind").asText()).isEqualTo("merge");
    assertThat(svc.info(bc).path("held").asBoolean()).isTrue();
    assertThat(read(bc, "foo")).isEqualTo("C's foo"); // later files win
    Stat bar = Posix.lstat(svc.tree(bc).resolve("bar"));
    assertThat(bar.permissions()).isEqualTo(0700); // directories unite, the later metadata wins
    assertThat(bar.mtime()).isEqualTo(t(1_600_000_022L, 22));
    assertThat(names(bc, "bar")).containsExactly("A", "B");
    assertThat(read(bc, "bar/A")).isEqualTo("C's A");
    assertThat(names(bc, "etc")).containsExactly("y", "z"); // B's opaque etc hides A's x, C's z lies above
    assertThat(read(bc, "thing")).isEqualTo("a file");

    String cb = svc.ok("merge", c, b);
    assertThat(exists(cb, "foo")).as("B's whiteout deletes C's foo, an earlier input's").isFalse();
    assertThat(names(cb, "bar")).containsExactly("A", "B");
    assertThat(read(cb, "bar/A")).isEqualTo("A's A");
    assertThat(Posix.lstat(svc.tree(cb).resolve("bar")).mtime()).isEqualTo(t(1_600_000_011L, 11));
    assertThat(names(cb, "etc")).as("B's opaque etc hides A's and C's").containsExactly("y");
    assertThat(Posix.lstat(svc.tree(cb).resolve("etc")).permissions()).isEqualTo(0750);
  }

  @Test
  void hardLinksOwnersAndFileCapabilitiesSurviveAMerge() throws IOException {
    String m = svc.ok("merge", a(), c());
    Path ping = svc.tree(m).resolve("bin/ping");
    Stat p = Posix.lstat(ping);
    Stat p6 = Posix.lstat(svc.tree(m).resolve("bin/ping6"));
    assertThat(p6.ino()).isEqualTo(p.ino());
    assertThat(p.nlink()).isEqualTo(2);
    assertThat(p.uid()).isEqualTo(1000);
    assertThat(p.gid()).isEqualTo(1001);
    assertThat(p.permissions()).isEqualTo(04755);
    assertThat(Xattrs.lgetxattr(ping, "security.capability"))
        .hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.ISO_8859_1)).isEqualTo(CAP));
    assertThat(Files.readSymbolicLink(svc.tree(m).resolve("link")).toString()).isEqualTo("foo");
    assertThat(read(m, "link")).isEqualTo("C's foo"); // the link resolves in the merged tree
  }

  @Test
  void aDirectoryAndAFileReplaceEachOtherWhole() throws IOException {
    String c = c();
    String d = d();
    String cd = svc.ok("merge", c, d);
    assertThat(Files.isDirectory(svc.tree(cd).resolve("thing"))).isTrue();
    assertThat(names(cd, "thing")).containsExactly("inside");
    String dc = svc.ok("merge", d, c);
    assertThat(read(dc, "thing")).isEqualTo("a file");
    assertThat(exists(dc, "thing/inside")).isFalse();
  }

  @Test
  void aMergeOfAMergeIsTheMergeOfAllTheirInputs() throws IOException {
    String b = b(a());
    String c = c();
    String d = d();
    String inner = svc.ok("merge", b, c);
    String outer = svc.ok("merge", inner, d);
    assertThat(svc.info(outer).path("parents")).extracting(JsonNode::asText).containsExactly(b, c, d);
    assertThat(walk(outer)).isEqualTo(walk(svc.ok("merge", b, c, d)));
    assertThat(names(outer, "thing")).containsExactly("inside");
  }

  @Test
  void mergedAndDiffTreesAreReadOnly() throws IOException {
    String m = svc.ok("merge", a(), c());
    assertThatThrownBy(() -> Files.writeString(svc.tree(m).resolve("foo"), "x")).isInstanceOf(IOException.class)
        .hasMessageContaining("Read-only file system");
    assertThatThrownBy(() -> Files.setLastModifiedTime(svc.tree(m).resolve("bar"), FileTime.fromMillis(0)))
        .isInstanceOf(IOException.class);
    String d = svc.ok("diff", c(), m);
    assertThatThrownBy(() -> Files.createFile(svc.tree(d).resolve("new"))).isInstanceOf(IOException.class)
        .hasMessageContaining("Read-only file system");
  }

  // ---- diff ------------------------------------------------------------------------------------

  private static String lower() throws IOException {
    return layer(null,
        file("same", "same bytes", 1), file("content", "aaaa", 2), file("mode", "m", 3), file("gone", "g", 4),
        dir("dir", 0755, 10), file("dir/old", "o", 5), file("dir/gone", "g", 6),
        file("becomes-dir", "a file", 7));
  }

  private static String upper() throws IOException {
    return layer(null,
        file("same", "same bytes", 1), file("content", "bbbb", 2),
        new LayerTar.File("mode", 0600, 0, 0, t(1_600_000_003L, 3), Map.of(), "m".getBytes(StandardCharsets.UTF_8)),
        dir("dir", 0755, 10), file("dir/old", "o", 5), file("dir/new", "n", 8),
        dir("becomes-dir", 0700, 9), file("becomes-dir/x", "x", 9),
        file("new", "n", 11));
  }

  /** Two refs imported separately: their diff shows what is added or changed, with its directories. */
  @Test
  void aDiffOfTwoUnrelatedRefsShowsTheAddedAndChangedEntries() throws IOException {
    String d = svc.ok("diff", lower(), upper());
    assertThat(svc.info(d).path("kind").asText()).isEqualTo("diff");
    assertThat(walk(d)).isEqualTo(tree(
        "becomes-dir", "dir", "becomes-dir/x", "file x",
        "content", "file bbbb",
        "dir", "dir", "dir/new", "file n",
        "mode", "file m",
        "new", "file n"));
    assertThat(Posix.lstat(svc.tree(d).resolve("mode")).permissions()).isEqualTo(0600);
    assertThat(Posix.lstat(svc.tree(d).resolve("dir")).mtime()).isEqualTo(t(1_600_000_010L, 10));
  }

  /** As a merge input, a diff deletes what it deleted from the inputs below it. */
  @Test
  void aDiffUsedAsAMergeInputAppliesItsDeletions() throws IOException {
    String lower = lower();
    String d = svc.ok("diff", lower, upper());
    String base = layer(null, file("gone", "base's", 40), file("content", "base's", 41), file("only-base", "b", 42),
        dir("dir", 0755, 43), file("dir/gone", "base's", 44), file("dir/mine", "mine", 45));
    String m = svc.ok("merge", base, d);
    assertThat(exists(m, "gone")).isFalse();
    assertThat(exists(m, "dir/gone")).isFalse();
    assertThat(names(m, "dir")).containsExactly("mine", "new");
    assertThat(read(m, "content")).isEqualTo("bbbb");
    assertThat(read(m, "only-base")).isEqualTo("b");
    assertThat(walk(svc.ok("merge", lower, d))).isEqualTo(walk(upper()));
  }

  /** A diff of a ref and a descendant two layers up is a merge of the layers in between. */
  @Test
  void aDiffFromAnAncestorIsAMergeOfTheLayersAbove() throws IOException {
    String a = a();
    String b = b(a);
    String top = layer(b, file("top", "t", 50));
    String d = svc.ok("diff", a, top);
    JsonNode i = svc.info(d);
    assertThat(i.path("kind").asText()).isEqualTo("merge");
    assertThat(i.path("parents")).hasSize(2);
    assertThat(walk(d)).containsEntry("top", "file t").containsEntry("bar/B", "file B's B")
        .doesNotContainKey("bar/A").doesNotContainKey("foo");
  }

  // ---- the command -----------------------------------------------------------------------------

  @Test
  void mergeAndDiffAnswerWithTheContractsExitStatuses() throws IOException {
    String c = c();
    assertThat(svc.cli("merge").exit()).isEqualTo(2);
    assertThat(svc.cli("diff", c).exit()).isEqualTo(2);
    assertThat(svc.cli("merge", c, "nosuchref0000000000000000").exit()).isEqualTo(3);
    assertThat(svc.cli("diff", "nosuchref0000000000000000", c).exit()).isEqualTo(3);
    String work = svc.ok("new", "--parent", c);
    ServiceFixture.Run locked = svc.cli("merge", c, work);
    assertThat(locked.exit()).isEqualTo(4);
    assertThat(locked.err()).contains("commit it");
    assertThat(svc.ok("merge", c)).as("one ref merged with nothing is that ref").isEqualTo(c);
    String committed = svc.ok("commit", work);
    assertThat(svc.ok("diff", c, work)).as("a committed mutable's ID stands for its twin")
        .isNotEqualTo(committed);
  }

  @Test
  void aMergeAndADiffAreHeldAcrossARestartAndGoWhenReleased() throws IOException {
    String c = c();
    String d = d();
    String m = svc.ok("merge", c, d);
    String x = svc.ok("diff", c, d);
    TreeMap<String, String> before = walk(m);
    svc.restart();
    assertThat(walk(m)).isEqualTo(before);
    assertThat(walk(x)).isEqualTo(tree("thing", "dir", "thing/inside", "file in a dir"));
    svc.ok("release", m);
    assertThat(svc.info(m).path("held").asBoolean()).isFalse();
  }

  /**
   * A merge or diff whose held state cannot be written (a directory in the way of the temporary state
   * file) happens not at all: no record is left, as for an import.
   */
  @Test
  void aMergeOrDiffWhoseHeldStateCannotBeWrittenLeavesNoRecord() throws IOException {
    String c = c();
    String d = d();
    String ls = svc.ok("ls", "--format", "json");
    Path inTheWay = Files.createDirectories(svc.root.resolve(ServiceState.FILE + ".tmp").resolve("in-the-way"));
    try {
      for (String[] args : List.of(new String[] {"merge", c, d}, new String[] {"diff", c, d})) {
        ServiceFixture.Run failed = svc.cli(args);
        assertThat(failed.exit()).as(args[0]).isEqualTo(1);
        assertThat(failed.err()).contains("cannot write the service's state");
      }
    } finally {
      Files.delete(inTheWay);
      Files.delete(inTheWay.getParent());
    }
    assertThat(svc.ok("ls", "--format", "json")).isEqualTo(ls);
  }

  // ---- laziness --------------------------------------------------------------------------------

  /** A first access unpacks only the layers down to its answer, through the mount as in the cache. */
  @Test
  void aFirstAccessThroughTheMountUnpacksOnlyTheLayersItNeeds() throws IOException {
    String bottom = layer(null, file("bottom", "0", 60), dir("usr", 0755, 61), file("usr/a", "a", 62));
    String middle = layer(bottom, file("middle", "1", 63));
    String top = layer(middle, file("top", "2", 64), dir("usr", 0755, 65), file("usr/c", "c", 66));
    List<String> diffIds = new ArrayList<>();
    for (String id : List.of(top, middle, bottom)) {
      diffIds.add(svc.info(id).path("diffId").asText());
    }
    try (UnpackAttempts unpacks = UnpackAttempts.watch()) {
      assertThat(read(top, "top")).isEqualTo("2");
      assertThat(read(top, "usr/c")).isEqualTo("c");
      Posix.lstat(svc.tree(top));
      Posix.lstat(svc.tree(top).resolve("usr"));
      assertThat(diffIds.stream().map(unpacks::of)).containsExactly(1L, 0L, 0L);
      assertThat(read(top, "middle")).isEqualTo("1");
      assertThat(diffIds.stream().map(unpacks::of)).containsExactly(1L, 1L, 0L);
      assertThat(names(top, "usr")).containsExactly("a", "c");
      assertThat(diffIds.stream().map(unpacks::of)).containsExactly(1L, 1L, 1L);
    }
  }
}
