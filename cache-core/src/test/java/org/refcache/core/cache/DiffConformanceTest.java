package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.refcache.core.cache.TreeRefs.dir;
import static org.refcache.core.cache.TreeRefs.file;
import static org.refcache.core.cache.TreeRefs.read;
import static org.refcache.core.cache.TreeRefs.time;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.refcache.core.fs.FileTrees;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * Diff (spec 5.2) and the conformance cases 42 and 45 of spec section 7: the ancestor rule, a
 * one-layer diff served from its upper's own layer, and the change set of any other pair worked out
 * by comparing the two trees: standing alone it shows what was added and changed with the
 * directories holding it; as a merge input its deletions apply.
 */
class DiffConformanceTest extends CacheFixture {
  private ImmutableRef layer(ImmutableRef parent, TreeRefs.Edit edit) throws IOException {
    return keep(TreeRefs.layer(cm, parent, edit));
  }

  private ImmutableRef blobRef(ImmutableRef parent, String... nameThenContent) throws IOException {
    Layers.Blob b = Layers.gzipped(Layers.files(nameThenContent)).store(cm.contentStore());
    return keep(cm.getByBlob(b.desc(), parent));
  }

  private ImmutableRef diff(ImmutableRef lower, ImmutableRef upper) {
    return keep(cm.diff(lower, upper));
  }

  private ImmutableRef merge(ImmutableRef... inputs) {
    return keep(cm.merge(Arrays.asList(inputs)));
  }

  private static TreeMap<String, String> tree(String... pathThenWhat) {
    TreeMap<String, String> m = new TreeMap<>();
    for (int i = 0; i < pathThenWhat.length; i += 2) {
      m.put(pathThenWhat[i], pathThenWhat[i + 1]);
    }
    return m;
  }

  // ------------------------------------------------------------------ cases

  /** Extract brings back a layer directory deleted out of band, here a diff's lower's, from its blob. */
  @Test
  void case42_extractRecreatesALayerDirectoryDeletedOutOfBand() throws IOException {
    ImmutableRef lower = blobRef(null, "a", "1", "b", "2");
    ImmutableRef upper = blobRef(null, "a", "1", "c", "3");
    ImmutableRef d = diff(lower, upper);
    d.extract();
    Path lowerDir = root.resolve("layers").resolve(lower.diffId().get().encoded());
    assertThat(lowerDir.resolve("b")).hasContent("2");
    FileTrees.deleteRecursively(lowerDir);
    d.extract();
    assertThat(lowerDir.resolve("b")).hasContent("2");
    assertThat(TreeRefs.walk(d.mount(true)).keySet()).contains("c");
  }

  /**
   * Diff(c, e) of a chain a→b→c→d→e is a merge of two one-layer diffs (8 records with the five
   * layers), showing d's and e's layers; Diff(lower, nil) makes one record.
   */
  @Test
  void case45_diffOfAnAncestorIsAMergeOfOneLayerDiffs() throws IOException {
    ImmutableRef[] chain = new ImmutableRef[5];
    ImmutableRef parent = null;
    for (int i = 0; i < 5; i++) {
      parent = chain[i] = blobRef(parent, "l" + i, "layer " + i);
    }
    assertThat(cm.records()).hasSize(5);
    ImmutableRef d = diff(chain[2], chain[4]);
    assertThat(cm.records()).hasSize(8);
    assertThat(d.kind()).isEqualTo(RefKind.MERGE);
    List<String> parts = d.parentIds();
    assertThat(parts).hasSize(2);
    for (int i = 0; i < 2; i++) {
      RecordInfo part = cm.info(parts.get(i));
      assertThat(part.kind()).isEqualTo(RefKind.DIFF);
      assertThat(part.parents()).containsExactly(chain[2 + i].id(), chain[3 + i].id());
      assertThat(part.description()).isEqualTo("diff \"" + chain[2].id() + "\" -> \"" + chain[4].id() + "\"");
    }
    assertThat(TreeRefs.walk(d.mount(true))).isEqualTo(tree("l3", "file layer 3", "l4", "file layer 4"));
    List<ImmutableRef> layers = d.layerChain();
    assertThat(layers).extracting(Ref::id).containsExactly(chain[3].id(), chain[4].id());
    layers.forEach(Ref::release);

    ImmutableRef gone = diff(chain[4], null);
    assertThat(cm.records()).hasSize(9);
    assertThat(gone.kind()).isEqualTo(RefKind.DIFF);
    assertThat(TreeRefs.walk(gone.mount(true))).isEmpty();
  }

  @Test
  void diffWithoutLowerIsRefused() throws IOException {
    ImmutableRef x = blobRef(null, "x", "1");
    assertThatThrownBy(() -> cm.diff(null, x)).isInstanceOf(InvalidRefException.class)
        .hasMessageContaining("lower");
    assertThat(cm.handleCount(x.id())).isEqualTo(1);
  }

  // ------------------------------------------------------------------ one layer: the upper's own

  /** A diff of a ref and its child is the child's own layer: its tree is that layer, its chain that record. */
  @Test
  void oneLayerDiffIsTheUppersOwnLayer() throws IOException {
    ImmutableRef base = blobRef(null, "base", "b", "etc/conf", "old");
    ImmutableRef child = layer(base, t -> {
      Files.writeString(t.openForWrite("etc/conf", true), "new");
      t.unlink("base");
      file(t, "added", "a", 1);
    });
    ImmutableRef d = diff(base, child);
    assertThat(d.kind()).isEqualTo(RefKind.DIFF);
    OverlayTree t = d.mount(true);
    assertThat(TreeRefs.walk(t)).isEqualTo(tree("added", "file a", "etc", "dir 755", "etc/conf", "file new"));
    assertThat(t.resolve("added").get().real()).startsWith(root.resolve("uppers"));
    List<ImmutableRef> layers = d.layerChain();
    assertThat(layers).extracting(Ref::id).containsExactly(child.id());
    layers.forEach(Ref::release);
    // As a merge input its whiteout deletes.
    ImmutableRef other = blobRef(null, "base", "other's", "keep", "k");
    assertThat(TreeRefs.walk(merge(other, d).mount(true))).isEqualTo(
        tree("added", "file a", "etc", "dir 755", "etc/conf", "file new", "keep", "file k"));
  }

  // ------------------------------------------------------------------ any other pair: compared

  private ImmutableRef lowerOfUnrelated() throws IOException {
    return layer(null, t -> {
      file(t, "same", "same bytes", 1);
      file(t, "content", "aaaa", 2);
      file(t, "mode", "m", 3);
      file(t, "owner", "o", 4);
      file(t, "mtime", "t", 5);
      file(t, "xattr", "x", 6);
      t.setXattr("xattr", "user.k", "v1".getBytes(StandardCharsets.UTF_8), 0);
      file(t, "gone", "g", 7);
      t.symlink("target-1", "link", 0, 0);
      t.utimens("link", time(8), time(8));
      t.mkdir("kept", 0755, 0, 0);
      file(t, "kept/untouched", "u", 9);
      dir(t, "kept", 0755, 10);
      t.mkdir("dir", 0755, 0, 0);
      file(t, "dir/old", "o", 11);
      file(t, "dir/gone", "g", 12);
      dir(t, "dir", 0755, 13);
      file(t, "becomes-dir", "f", 14);
      t.mkdir("becomes-file", 0755, 0, 0);
      file(t, "becomes-file/inside", "i", 15);
      dir(t, "becomes-file", 0755, 16);
    });
  }

  private ImmutableRef upperOfUnrelated() throws IOException {
    return layer(null, t -> {
      file(t, "same", "same bytes", 1);
      file(t, "content", "bbbb", 2); // same size, mode, owner and time: only the bytes differ
      file(t, "mode", "m", 0600, 0, 0, 3);
      file(t, "owner", "o", 0644, 1000, 1000, 4);
      file(t, "mtime", "t", 50);
      file(t, "xattr", "x", 6);
      t.setXattr("xattr", "user.k", "v2".getBytes(StandardCharsets.UTF_8), 0);
      t.symlink("target-2", "link", 0, 0);
      t.utimens("link", time(8), time(8));
      file(t, "new", "n", 17);
      t.mkdir("kept", 0755, 0, 0);
      file(t, "kept/untouched", "u", 9);
      dir(t, "kept", 0755, 10);
      t.mkdir("dir", 0755, 0, 0);
      file(t, "dir/old", "o", 11);
      file(t, "dir/new", "n", 18);
      dir(t, "dir", 0755, 13); // the same directory metadata: there only because it holds changes
      t.mkdir("becomes-dir", 0700, 0, 0);
      file(t, "becomes-dir/x", "x", 19);
      dir(t, "becomes-dir", 0700, 20);
      file(t, "becomes-file", "now a file", 21);
    });
  }

  /**
   * Two unrelated refs: the diff's tree shows what is new or changed in content, mode, owner, mtime,
   * xattrs or link target, and the directories holding changes; not what is the same, nor deletions.
   */
  @Test
  void diffOfUnrelatedRefsShowsAddedAndChangedEntriesWithTheirDirectories() throws IOException {
    ImmutableRef d = diff(lowerOfUnrelated(), upperOfUnrelated());
    OverlayTree t = d.mount(true);
    assertThat(TreeRefs.walk(t)).isEqualTo(tree(
        "becomes-dir", "dir 700", "becomes-dir/x", "file x",
        "becomes-file", "file now a file",
        "content", "file bbbb",
        "dir", "dir 755", "dir/new", "file n",
        "link", "link target-2",
        "mode", "file m",
        "mtime", "file t",
        "new", "file n",
        "owner", "file o",
        "xattr", "file x"));
    assertThat(t.resolve("owner").get().stat().uid()).isEqualTo(1000);
    assertThat(t.resolve("dir").get().stat().mtime()).isEqualTo(time(13));
    assertThat(t.getXattr("xattr", "user.k")).hasValueSatisfying(
        v -> assertThat(new String(v, StandardCharsets.UTF_8)).isEqualTo("v2"));
  }

  /** As a merge input, a diff's deletions delete what the inputs below have; its changes win. */
  @Test
  void diffAsAMergeInputAppliesItsDeletions() throws IOException {
    ImmutableRef lower = lowerOfUnrelated();
    ImmutableRef d = diff(lower, upperOfUnrelated());
    ImmutableRef base = layer(null, t -> {
      file(t, "gone", "base's gone", 30);
      file(t, "content", "base's content", 31);
      file(t, "only-base", "b", 32);
      t.mkdir("dir", 0755, 0, 0);
      file(t, "dir/gone", "base's dir/gone", 33);
      file(t, "dir/mine", "base's dir/mine", 34);
      t.mkdir("becomes-file", 0755, 0, 0);
      file(t, "becomes-file/base", "b", 35);
    });
    OverlayTree t = merge(base, d).mount(true);
    assertThat(t.resolve("gone")).isEmpty();
    assertThat(t.resolve("dir/gone")).isEmpty();
    assertThat(read(t, "dir/mine")).isEqualTo("base's dir/mine");
    assertThat(read(t, "dir/new")).isEqualTo("n");
    assertThat(read(t, "content")).isEqualTo("bbbb");
    assertThat(read(t, "only-base")).isEqualTo("b");
    assertThat(read(t, "becomes-file")).isEqualTo("now a file");
    // What the diff does not touch stays the base's (the same file in lower and upper is no change).
    assertThat(t.resolve("same")).isEmpty();
    // Diff then merge of the lower gives back the upper's tree (what BuildKit's DiffOp promises).
    assertThat(TreeRefs.walk(merge(lower, d).mount(true))).isEqualTo(TreeRefs.walk(upperOfUnrelated().mount(true)));
  }

  /** diff(x, x) shows nothing; diff(x, nil) shows nothing and, merged over x, deletes all of it. */
  @Test
  void diffOfARefWithItselfIsEmptyAndWithScratchDeletesEverything() throws IOException {
    ImmutableRef x = blobRef(null, "a", "1", "d/b", "2");
    assertThat(TreeRefs.walk(diff(x, x).mount(true))).isEmpty();
    ImmutableRef none = diff(x, null);
    assertThat(TreeRefs.walk(none.mount(true))).isEmpty();
    assertThat(TreeRefs.walk(merge(x, none).mount(true))).isEmpty();
    ImmutableRef after = blobRef(null, "c", "3");
    assertThat(TreeRefs.walk(merge(x, none, after).mount(true))).isEqualTo(tree("c", "file 3"));
  }

  /** A diff of merges, a merge of a merge holding a diff, and a diff of diffs compose. */
  @Test
  void diffsAndMergesCompose() throws IOException {
    ImmutableRef a = blobRef(null, "a", "1", "shared", "a's");
    ImmutableRef b = blobRef(null, "b", "2", "shared", "b's");
    ImmutableRef c = blobRef(null, "c", "3");
    ImmutableRef ab = merge(a, b);
    ImmutableRef abc = merge(a, b, c);
    ImmutableRef onlyC = diff(ab, merge(c, a, b));
    assertThat(TreeRefs.walk(onlyC.mount(true))).isEqualTo(tree("c", "file 3"));
    ImmutableRef m = merge(merge(a, onlyC), b);
    assertThat(TreeRefs.walk(m.mount(true))).isEqualTo(TreeRefs.walk(abc.mount(true)));
    ImmutableRef dd = diff(diff(a, ab), diff(a, abc));
    assertThat(TreeRefs.walk(dd.mount(true))).isEqualTo(tree("c", "file 3"));
  }

  /** A mutable on a diff sees the diff's tree and copies up from it. */
  @Test
  void aMutableOnADiffWritesOverItsTree() throws IOException {
    ImmutableRef d = diff(lowerOfUnrelated(), upperOfUnrelated());
    MutableRef m = keep(cm.newRef(d));
    WritableOverlayTree t = (WritableOverlayTree) m.mount(false);
    assertThat(read(t, "dir/new")).isEqualTo("n");
    assertThat(t.resolve("dir/old")).isEmpty();
    Files.writeString(t.openForWrite("content", true), "written");
    t.unlink("new");
    assertThat(read(t, "content")).isEqualTo("written");
    assertThat(read(d.mount(true), "content")).isEqualTo("bbbb");
    assertThat(TreeRefs.names(t, "")).doesNotContain("new", "same");
  }

  /** A diff record is immutable, holds its inputs and serves the same tree after a restart. */
  @Test
  void diffSurvivesARestart() throws IOException {
    ImmutableRef lower = lowerOfUnrelated();
    ImmutableRef upper = upperOfUnrelated();
    ImmutableRef d = cm.diff(lower, upper);
    String id = d.id();
    Map<String, String> before = TreeRefs.walk(d.mount(true));
    d.release();
    releaseKept();
    reopen();
    ImmutableRef again = keep(cm.get(id));
    assertThat(again.kind()).isEqualTo(RefKind.DIFF);
    assertThat(again.parentIds()).containsExactly(lower.id(), upper.id());
    assertThat(TreeRefs.walk(again.mount(true))).isEqualTo(before);
  }
}
