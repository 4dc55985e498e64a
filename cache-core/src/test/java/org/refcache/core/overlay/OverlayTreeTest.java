package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.testing.LayerBuilder;
import org.refcache.testing.TreeSnapshot;

/** The read-only union: lookup rules, merged listings, xattrs, the cache, and no mutators. */
class OverlayTreeTest {

  @TempDir
  Path base;

  private Fixture fixture;
  private OverlayTree tree;

  @BeforeEach
  void setUp() throws IOException {
    fixture = Fixture.create(base);
    tree = new OverlayTree(fixture.lowers());
  }

  @Test
  void whiteoutHidesLowerFile() {
    assertThat(tree.resolve("gone.txt")).isEmpty();
    assertThat(Files.exists(fixture.bottom.resolve("gone.txt"))).isTrue();
  }

  @Test
  void whiteoutsNeverShowInListings() throws IOException {
    assertThat(names("")).doesNotContain("gone.txt");
    assertThat(names("shared")).doesNotContain("never-existed");
    assertThat(tree.resolve("shared/never-existed")).isEmpty();
    assertThat(names("dir1/sub")).containsExactly("deep2.txt", "keep.txt");
  }

  @Test
  void opaqueDirectoryHidesLowerChildren() throws IOException {
    assertThat(names("dir2")).containsExactly("z.txt");
    assertThat(tree.resolve("dir2/x.txt")).isEmpty();
    assertThat(tree.resolve("dir2").orElseThrow().layerIndex()).isZero();
  }

  @Test
  void opaqueMarkerIsNeverVisible() throws IOException {
    assertThat(tree.listXattr("dir2")).isEmpty();
    assertThat(tree.getXattr("dir2", OverlayFormat.OPAQUE_XATTR)).isEmpty();
  }

  @Test
  void upperNonDirectoryHidesLowerDirectoryEntirely() throws IOException {
    Node node = tree.resolve("dirToFile").orElseThrow();
    assertThat(node.isRegularFile()).isTrue();
    assertThat(node.layerIndex()).isZero();
    assertThat(tree.resolve("dirToFile/child")).isEmpty();
    assertThatThrownBy(() -> tree.list("dirToFile")).isInstanceOf(NotDirectoryException.class);
  }

  @Test
  void upperDirectoryHidesLowerNonDirectory() throws IOException {
    Node node = tree.resolve("fileToDir").orElseThrow();
    assertThat(node.isDirectory()).isTrue();
    assertThat(names("fileToDir")).containsExactly("inner.txt");
  }

  @Test
  void directoryStackStopsAtALowerNonDirectory() throws IOException {
    Path third = Files.createDirectories(base.resolve("third"));
    new LayerBuilder(third).dir("fileToDir").file("fileToDir/deepest", "under a file");
    OverlayTree three = new OverlayTree(List.of(fixture.top, fixture.bottom, third));
    assertThat(names(three, "fileToDir")).containsExactly("inner.txt");
    assertThat(three.resolve("fileToDir/deepest")).isEmpty();
  }

  @Test
  void listingMergesLayersSortedWithoutDuplicates() throws IOException {
    List<DirEntry> entries = tree.list("shared");
    assertThat(entries).extracting(DirEntry::name).containsExactly("both.txt", "s1.txt", "s2.txt");
    DirEntry both = entries.get(0);
    assertThat(both.real()).isEqualTo(fixture.top.resolve("shared/both.txt"));
    assertThat(both.type()).isEqualTo(Posix.S_IFREG);
    assertThat(entries.get(2).real()).isEqualTo(fixture.bottom.resolve("shared/s2.txt"));
    assertThat(names("")).isSorted().doesNotHaveDuplicates()
        .contains("a.txt", "dir1", "newtop.txt", "link", "fifo", "null", "loop");
  }

  @Test
  void listingReportsEveryFileType() throws IOException {
    var types = tree.list("").stream()
        .collect(Collectors.toMap(DirEntry::name, DirEntry::type));
    assertThat(types).containsEntry("link", Posix.S_IFLNK).containsEntry("fifo", Posix.S_IFIFO)
        .containsEntry("null", Posix.S_IFCHR).containsEntry("loop", Posix.S_IFBLK)
        .containsEntry("dir1", Posix.S_IFDIR).containsEntry("a.txt", Posix.S_IFREG);
  }

  @Test
  void mergedDirectoryHasTheTopmostDirectorysAttributes() throws IOException {
    Node shared = tree.resolve("shared").orElseThrow();
    assertThat(shared.real()).isEqualTo(fixture.top.resolve("shared"));
    assertThat(shared.stat().permissions()).isEqualTo(0750);
    assertThat(shared.stat().uid()).isEqualTo(5);
    assertThat(tree.getXattr("shared", "user.layer")).hasValueSatisfying(
        v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("top"));
  }

  @Test
  void resolveGivesTheTopmostRealFile() {
    Node f2 = tree.resolve("dir1/f2").orElseThrow();
    assertThat(f2.real()).isEqualTo(fixture.top.resolve("dir1/f2"));
    assertThat(f2.layerIndex()).isZero();
    Node f1 = tree.resolve("dir1/f1").orElseThrow();
    assertThat(f1.real()).isEqualTo(fixture.bottom.resolve("dir1/f1"));
    assertThat(f1.layerIndex()).isOne();
    assertThat(f1.path()).isEqualTo("dir1/f1");
    Node root = tree.resolve("").orElseThrow();
    assertThat(root.isDirectory()).isTrue();
    assertThat(root.real()).isEqualTo(fixture.top);
  }

  @Test
  void pathBelowANonDirectoryIsAbsent() throws IOException {
    assertThat(tree.resolve("a.txt/x")).isEmpty();
    assertThat(tree.resolve("link/x")).isEmpty();
    assertThat(tree.resolve("missing/x")).isEmpty();
    assertThatThrownBy(() -> tree.list("missing")).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> tree.getXattr("missing", "user.x"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void symlinksAreEntriesNotFollowed() {
    Node link = tree.resolve("link").orElseThrow();
    assertThat(link.isSymlink()).isTrue();
    assertThat(link.real()).isEqualTo(fixture.bottom.resolve("link"));
  }

  @Test
  void malformedPathsAreRejected() {
    for (String bad : List.of("/a.txt", "a.txt/", "a//b", ".", "..", "dir1/../a.txt", "./x",
        "dir1/.", "a\0b")) {
      assertThatThrownBy(() -> tree.resolve(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(tree.resolve("..a").isPresent()).isFalse();
  }

  @Test
  void xattrsOfTheTopmostEntryAreReadable() throws IOException {
    assertThat(tree.listXattr("a.txt")).containsExactlyInAnyOrder("user.color", "trusted.note");
    assertThat(tree.getXattr("a.txt", "user.color").map(String::new)).contains("blue");
    assertThat(tree.getXattr("a.txt", "user.absent")).isEmpty();
  }

  @Test
  void readOnlyTreeHasNoMutators() {
    Set<String> allowed = Set.of("resolve", "attributes", "list", "getXattr", "listXattr",
        "isWritable", "layers");
    List<String> publicMethods = Arrays.stream(OverlayTree.class.getDeclaredMethods())
        .filter(m -> Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers()))
        .map(Method::getName)
        .toList();
    assertThat(publicMethods).isNotEmpty().allMatch(allowed::contains);
    assertThat(tree.isWritable()).isFalse();
  }

  @Test
  void resolutionCacheIsBounded() {
    OverlayTree small = new OverlayTree(fixture.lowers(), false, 16);
    for (int i = 0; i < 200; i++) {
      assertThat(small.resolve("missing-" + i)).isEmpty();
      assertThat(small.cachedResolutions()).isLessThanOrEqualTo(16);
    }
    assertThat(small.resolve("dir1/sub/keep.txt")).isPresent();
  }

  @Test
  void needsAtLeastOneExistingLayer() {
    assertThatThrownBy(() -> new OverlayTree(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OverlayTree(List.of(base.resolve("nope"))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void concurrentReadersAgree() throws Exception {
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      var futures = new java.util.ArrayList<java.util.concurrent.Future<List<String>>>();
      for (int i = 0; i < 8; i++) {
        futures.add(pool.submit(() -> TreeSnapshot.ofTree(tree, true).keySet().stream().toList()));
      }
      List<String> first = futures.get(0).get();
      for (var future : futures) {
        assertThat(future.get()).isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private List<String> names(String dir) throws IOException {
    return names(tree, dir);
  }

  private static List<String> names(OverlayTree tree, String dir) throws IOException {
    return tree.list(dir).stream().map(DirEntry::name).toList();
  }

  @Test
  void mergedDirectoryLinkCountIsTwoPlusMergedSubdirectoriesAndStable() throws IOException {
    long subdirectories = tree.list("").stream().filter(e -> e.type() == Posix.S_IFDIR).count();
    long root = tree.attributes("").orElseThrow().nlink();
    assertThat(root).isEqualTo(2 + subdirectories)
        .isNotEqualTo(Posix.lstat(tree.layers().get(0)).nlink());
    // A read-only tree never changes: the second answer comes from memory and is the same.
    assertThat(tree.attributes("").orElseThrow().nlink()).isEqualTo(root);
    assertThat(tree.attributes("nope")).isEmpty();
  }
}
