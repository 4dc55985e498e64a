package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.core.overlay.OverlayReadableTree;
import org.refcache.core.overlay.OverlayTree;

/**
 * Layers written from the difference of two trees: exactly the changed entries (with the
 * directories that hold them) and whiteouts for deletions, such that the layer unpacked on top
 * of the lower tree shows the upper tree.
 */
class TreeDiffTest extends LayerWriterFixture {
  static final Instant T = Instant.parse("2020-05-06T07:08:09.123456789Z");

  /** The same tree, built twice (other inodes), so a diff must compare what is in the files. */
  SourceTree base(String name) throws IOException {
    SourceTree t = new SourceTree(tmp.resolve(name));
    t.dir("a").dir("a/b").dir("a/b/c").file("a/b/c/deep", "deep")
        .file("a/same", "same").file("a/content", "1234").file("a/mode", "m")
        .file("a/owner", "o").file("a/mtime", "t").file("a/xattr", "x")
        .xattr("a/xattr", "user.k", bytes("v1"))
        .symlink("a/link", "target-1")
        .file("a/deleted", "gone").dir("a/deleted-dir").file("a/deleted-dir/x", "x")
        .file("file-to-dir", "f").dir("dir-to-file").file("dir-to-file/x", "x")
        .file("file-to-link", "f")
        .dir("untouched").file("untouched/u", "u")
        .dir("dir-mode").file("dir-mode/child", "c");
    for (String p : List.of("a/b/c/deep", "a/b/c", "a/b", "a/same", "a/content", "a/mode",
        "a/owner", "a/mtime", "a/xattr", "a/link", "a/deleted", "a/deleted-dir/x",
        "a/deleted-dir", "a", "file-to-dir", "dir-to-file/x", "dir-to-file", "file-to-link",
        "untouched/u", "untouched", "dir-mode/child", "dir-mode")) {
      t.times(p, T);
    }
    return t;
  }

  /** {@link #base} with one change of every kind. */
  SourceTree changed(String name) throws IOException {
    SourceTree t = base(name);
    t.file("a/b/c/deep", "DEEP").times("a/b/c/deep", T) // same size, same mtime: content only
        .file("a/content", "abcd").times("a/content", T)
        .chmod("a/mode", 0600)
        .chown("a/owner", 1000, 1000)
        .times("a/mtime", T.plusNanos(1))
        .xattr("a/xattr", "user.k", bytes("v2"))
        .delete("a/link").symlink("a/link", "target-2").times("a/link", T)
        .delete("a/deleted").delete("a/deleted-dir")
        .file("a/added", "new").dir("a/added-dir").file("a/added-dir/inside", "in")
        .file("a/added-dir/linked", "two names").hardLink("a/added-dir/linked-2",
            "a/added-dir/linked")
        .delete("file-to-dir").dir("file-to-dir").file("file-to-dir/child", "c")
        .delete("dir-to-file").file("dir-to-file", "now a file")
        .delete("file-to-link").symlink("file-to-link", "a/same")
        .chmod("dir-mode", 0700);
    return t;
  }

  @Test
  void onlyChangesAndTheDirectoriesHoldingThemAreWritten() throws IOException {
    SourceTree lower = base("lower");
    SourceTree upper = changed("upper");

    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.diff(
        ReadableTree.directory(lower.root()), ReadableTree.directory(upper.root())),
        Compression.GZIP);

    assertThat(names(layer)).containsExactly(
        "a/",
        "a/added", "a/added-dir/", "a/added-dir/inside", "a/added-dir/linked",
        "a/added-dir/linked-2",
        "a/b/", "a/b/c/", "a/b/c/deep",
        "a/content", "a/.wh.deleted", "a/.wh.deleted-dir",
        "a/link", "a/mode", "a/mtime", "a/owner", "a/xattr",
        "dir-mode/",
        "dir-to-file",
        "file-to-dir/", "file-to-dir/child",
        "file-to-link");
    assertThat(entries(layer)).filteredOn(e -> e.name().equals("a/added-dir/linked-2"))
        .extracting(TarEntry::toString).containsExactly("1 a/added-dir/linked-2 -> "
            + "a/added-dir/linked");
  }

  @Test
  void theLayerOnTopOfTheLowerTreeShowsTheUpperTree() throws IOException {
    SourceTree lower = base("lower");
    SourceTree upper = changed("upper");

    Path lowerLayer = unpack(writer.write(
        LayerChanges.ofTree(ReadableTree.directory(lower.root())), Compression.ZSTD));
    Path diffLayer = unpack(writer.write(LayerChanges.diff(
        ReadableTree.directory(lower.root()), ReadableTree.directory(upper.root())),
        Compression.ZSTD));
    OverlayTree union = new OverlayTree(List.of(diffLayer, lowerLayer));

    assertThat(TreeListing.of(new OverlayReadableTree(union), false))
        .isEqualTo(TreeListing.of(ReadableTree.directory(upper.root()), false));
  }

  @Test
  void aBaseLayerOfATreeUnpacksToThatTree() throws IOException {
    SourceTree tree = changed("tree");

    Path unpacked = unpack(writer.write(
        LayerChanges.ofTree(ReadableTree.directory(tree.root())), Compression.GZIP));

    assertThat(TreeListing.of(unpacked)).isEqualTo(TreeListing.of(tree.root()));
  }

  @Test
  void identicalTreesGiveAnEmptyLayer() throws IOException {
    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.diff(
        ReadableTree.directory(base("one").root()), ReadableTree.directory(base("two").root())),
        Compression.UNCOMPRESSED);

    assertThat(layer.entries()).isZero();
  }

  @Test
  void aDiffAgainstNothingDeletesEveryTopLevelEntry() throws IOException {
    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.diff(
        ReadableTree.directory(base("lower").root()), ReadableTree.EMPTY),
        Compression.UNCOMPRESSED);

    assertThat(names(layer)).containsExactly(".wh.a", ".wh.dir-mode", ".wh.dir-to-file",
        ".wh.file-to-dir", ".wh.file-to-link", ".wh.untouched");
  }

  @Test
  void theSameDiffGivesTheSameBytes() throws IOException {
    SourceTree lower = base("lower");
    SourceTree upper = changed("upper");
    LayerChanges diff = LayerChanges.diff(ReadableTree.directory(lower.root()),
        ReadableTree.directory(upper.root()));

    assertThat(writer.write(diff, Compression.GZIP)).isEqualTo(writer.write(diff, Compression.GZIP));
  }

  @Test
  void aNewNameThatReadersWouldTakeForAWhiteoutIsRefused() throws IOException {
    SourceTree lower = new SourceTree(tmp.resolve("lower")).file("x", "x");
    SourceTree upper = new SourceTree(tmp.resolve("upper")).file("x", "x").file(".wh.x", "");

    assertThatThrownBy(() -> writer.write(LayerChanges.diff(
        ReadableTree.directory(lower.root()), ReadableTree.directory(upper.root())),
        Compression.GZIP))
        .isInstanceOf(UnrepresentableEntryException.class).hasMessageContaining("\".wh.x\"");
    assertThat(ingestLeftovers()).isEmpty();
  }

  /**
   * Two unions share the real directory that answers for {@code d} (the same layer holds it on
   * top), but the upper union has a layer below that adds a child: the diff must still walk
   * {@code d} and find it.
   */
  @Test
  void unionsThatShareADirectoryButNotItsChildrenAreWalked() throws IOException {
    SourceTree shared = new SourceTree(tmp.resolve("shared")).dir("d").file("d/top", "top")
        .file("f", "f");
    SourceTree below = new SourceTree(tmp.resolve("below")).dir("d").file("d/extra", "extra");
    OverlayTree lower = new OverlayTree(List.of(shared.root()));
    OverlayTree upper = new OverlayTree(List.of(shared.root(), below.root()));

    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.diff(
        new OverlayReadableTree(lower), new OverlayReadableTree(upper)), Compression.GZIP);

    assertThat(names(layer)).containsExactly("d/", "d/extra");
  }

  @Test
  void aDiffOfUnionsReadsWhatEachLayerHides() throws IOException {
    SourceTree base = new SourceTree(tmp.resolve("base")).dir("d").file("d/a", "a")
        .file("d/b", "b").file("top", "t");
    SourceTree change = new SourceTree(tmp.resolve("change")).dir("d").whiteout("d/a")
        .file("d/c", "c").times("d", T);
    OverlayTree lower = new OverlayTree(List.of(base.root()));
    OverlayTree upper = new OverlayTree(List.of(change.root(), base.root()));

    LayerWriter.WrittenLayer layer = writer.write(LayerChanges.diff(
        new OverlayReadableTree(lower), new OverlayReadableTree(upper)), Compression.GZIP);

    assertThat(names(layer)).containsExactly("d/", "d/.wh.a", "d/c");
  }
}
