package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.refcache.core.cache.TreeRefs.dir;
import static org.refcache.core.cache.TreeRefs.file;
import static org.refcache.core.cache.TreeRefs.read;
import static org.refcache.core.cache.TreeRefs.time;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * Merge (spec 5.1) and the conformance cases 41, 43, 44 and 46 of spec section 7. A merge's tree is
 * the stack of its inputs' layers; the cases from BuildKit's snapshotter tests ({@code TestMerge},
 * {@code TestHardlinks}, {@code TestMergeFileCapabilities}) are checked on {@code mount(true)}.
 */
class MergeConformanceTest extends CacheFixture {
  private ImmutableRef layer(ImmutableRef parent, TreeRefs.Edit edit) throws IOException {
    return keep(TreeRefs.layer(cm, parent, edit));
  }

  private ImmutableRef blobRef(ImmutableRef parent, String... nameThenContent) throws IOException {
    Layers.Blob b = Layers.gzipped(Layers.files(nameThenContent)).store(cm.contentStore());
    return keep(cm.getByBlob(b.desc(), parent));
  }

  private ImmutableRef merge(ImmutableRef... inputs) {
    ImmutableRef m = cm.merge(Arrays.asList(inputs));
    return m == null ? null : keep(m);
  }

  // ------------------------------------------------------------------ cases

  /**
   * A merge's blob chain ID differs from each input's and equals that of the flat chain of its layers,
   * so importing that chain blob by blob ends at the merge record (BuildKit's TestMergeBlobchainID:
   * three chains of three layers, nine in all).
   */
  @Test
  void case41_mergeBlobChainIdIsTheFlatChainsAndGetByBlobFindsTheMerge() throws IOException {
    List<Layers.Blob> blobs = new ArrayList<>();
    List<ImmutableRef> tops = new ArrayList<>();
    for (int chain = 0; chain < 3; chain++) {
      ImmutableRef parent = null;
      for (int i = 0; i < 3; i++) {
        Layers.Blob b = Layers.gzipped(Layers.files("c" + chain + "/l" + i, chain + "." + i)).store(cm.contentStore());
        blobs.add(b);
        parent = keep(cm.getByBlob(b.desc(), parent));
      }
      tops.add(parent);
    }
    ImmutableRef merged = merge(tops.toArray(ImmutableRef[]::new));
    assertThat(merged.kind()).isEqualTo(RefKind.MERGE);
    assertThat(merged.blobChainId()).isPresent();
    for (ImmutableRef top : tops) {
      assertThat(merged.blobChainId()).isNotEqualTo(top.blobChainId());
    }
    ImmutableRef flat = null;
    for (Layers.Blob b : blobs) {
      flat = keep(cm.getByBlob(b.desc(), flat));
    }
    assertThat(flat.id()).isEqualTo(merged.id());
    assertThat(flat.chainId()).isEqualTo(merged.chainId());
  }

  /** A merge of nothing is nothing; of one ref, that ref itself (no record is made). */
  @Test
  void case43_mergeOfNothingIsNullAndOfOneRefIsThatRef() throws IOException {
    int before = cm.records().size();
    assertThat(cm.merge(List.of())).isNull();
    assertThat(cm.merge(Arrays.asList(null, null))).isNull();
    ImmutableRef x = blobRef(null, "x", "content of x");
    ImmutableRef same = merge(null, x, null);
    assertThat(same.id()).isEqualTo(x.id());
    assertThat(same).isNotSameAs(x);
    assertThat(cm.records()).hasSize(before + 1);
    assertThat(read(same.mount(true), "x")).isEqualTo("content of x");
    assertThat(same.mount(true).isWritable()).isFalse();
  }

  /**
   * Merging three single-file refs shows all three files, served from the inputs' own layer
   * directories: nothing is copied or linked, and the merge itself holds no bytes (spec 5.4's Java
   * note: a virtual union counts only its own metadata; BuildKit's 4096 is its directory).
   */
  @Test
  void case44_mergeOfThreeSingleFileRefsCopiesNothing() throws IOException {
    ImmutableRef a = blobRef(null, "a", "1");
    ImmutableRef b = blobRef(null, "b", "2");
    ImmutableRef c = blobRef(null, "c", "3");
    for (ImmutableRef in : List.of(a, b, c)) {
      in.extract();
    }
    long layersBefore = layerDirectories();
    ImmutableRef m = merge(a, b, c);
    OverlayTree t = m.mount(true);
    assertThat(TreeRefs.names(t, "")).containsExactly("a", "b", "c");
    for (ImmutableRef in : List.of(a, b, c)) {
      Path own = root.resolve("layers").resolve(in.diffId().get().encoded());
      String name = TreeRefs.names(in.mount(true), "").get(0);
      assertThat(t.resolve(name).get().real()).isEqualTo(own.resolve(name));
    }
    assertThat(m.size()).isZero();
    assertThat(layerDirectories()).isEqualTo(layersBefore);
    try (Stream<Path> uppers = Files.list(root.resolve("uppers"))) {
      assertThat(uppers.count()).isZero();
    }
  }

  private long layerDirectories() throws IOException {
    try (Stream<Path> s = Files.list(root.resolve("layers"))) {
      return s.count();
    }
  }

  /**
   * BuildKit's TestMerge: A has foo and bar/A; B (on A) deletes foo and adds bar/B; C has its own foo,
   * bar (other mode and time) and bar/A. Merging [A→B] then C gives C's foo and bar with C's metadata
   * and children A (C's) and B; the reverse gives A's versions and no foo (B deleted it after C added it).
   */
  @Test
  void case46_laterLayersWinDirectoriesUniteAndLaterDeletionsRemoveEarlierInputsPaths() throws IOException {
    ImmutableRef a = layer(null, t -> {
      t.mkdir("bar", 0755, 0, 0);
      file(t, "bar/A", "A's A", 1);
      file(t, "foo", "A's foo", 2);
      dir(t, "bar", 0755, 3);
    });
    ImmutableRef b = layer(a, t -> {
      t.unlink("foo");
      file(t, "bar/B", "B's B", 4);
      dir(t, "bar", 0755, 5);
    });
    ImmutableRef c = layer(null, t -> {
      t.mkdir("bar", 0700, 0, 0);
      file(t, "bar/A", "C's A", 6);
      file(t, "foo", "C's foo", 7);
      dir(t, "bar", 0700, 8);
    });

    OverlayTree bc = merge(b, c).mount(true);
    assertThat(read(bc, "foo")).isEqualTo("C's foo");
    Node bar = bc.resolve("bar").orElseThrow();
    assertThat(bar.stat().permissions()).isEqualTo(0700);
    assertThat(bar.stat().mtime()).isEqualTo(time(8));
    assertThat(TreeRefs.names(bc, "bar")).containsExactly("A", "B");
    assertThat(read(bc, "bar/A")).isEqualTo("C's A");
    assertThat(read(bc, "bar/B")).isEqualTo("B's B");

    OverlayTree cb = merge(c, b).mount(true);
    assertThat(cb.resolve("foo")).isEmpty();
    Node bar2 = cb.resolve("bar").orElseThrow();
    assertThat(bar2.stat().permissions()).isEqualTo(0755);
    assertThat(bar2.stat().mtime()).isEqualTo(time(5));
    assertThat(TreeRefs.names(cb, "bar")).containsExactly("A", "B");
    assertThat(read(cb, "bar/A")).isEqualTo("A's A");
  }

  /** TestHardlinks and TestMergeFileCapabilities: links stay one file; owner, capabilities and times survive. */
  @Test
  void case46_hardLinksOwnersCapabilitiesAndTimesArePreserved() throws IOException {
    byte[] cap = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ImmutableRef tools = layer(null, t -> {
      t.mkdir("bin", 0755, 0, 0);
      file(t, "bin/ping", "ping", 0755, 1000, 1001, 10);
      t.setXattr("bin/ping", "security.capability", cap, 0);
      t.link("bin/ping", "bin/ping6");
      t.utimens("bin/ping", time(11), time(11));
    });
    ImmutableRef other = blobRef(null, "etc/motd", "hi");
    OverlayTree t = merge(other, tools).mount(true);
    Node ping = t.resolve("bin/ping").orElseThrow();
    Node ping6 = t.resolve("bin/ping6").orElseThrow();
    assertThat(ping6.stat().ino()).isEqualTo(ping.stat().ino());
    assertThat(ping.stat().nlink()).isEqualTo(2);
    assertThat(ping.stat().uid()).isEqualTo(1000);
    assertThat(ping.stat().gid()).isEqualTo(1001);
    assertThat(ping.stat().permissions()).isEqualTo(0755);
    assertThat(ping.stat().mtime()).isEqualTo(time(11));
    assertThat(t.getXattr("bin/ping6", "security.capability")).hasValue(cap);
    assertThat(read(t, "etc/motd")).isEqualTo("hi");
  }

  // ------------------------------------------------------------------ the rules, one by one

  /** An opaque directory of a later input hides what earlier inputs have below it. */
  @Test
  void opaqueDirectoryOfALaterInputHidesEarlierInputs() throws IOException {
    ImmutableRef early = blobRef(null, "etc/old", "old", "etc/kept", "kept");
    ImmutableRef base = blobRef(null, "etc/base", "base");
    ImmutableRef remade = layer(base, t -> {
      t.unlink("etc/base");
      t.rmdir("etc");
      t.mkdir("etc", 0755, 0, 0);
      file(t, "etc/new", "new", 1);
    });
    OverlayTree t = merge(early, remade).mount(true);
    assertThat(TreeRefs.names(t, "etc")).containsExactly("new");
    // Without the opaque directory the directories unite.
    ImmutableRef added = layer(base, tree -> file(tree, "etc/new", "new", 2));
    assertThat(TreeRefs.names(merge(early, added).mount(true), "etc")).containsExactly("base", "kept", "new", "old");
  }

  /** A directory replacing a file, or a file replacing a directory, replaces it whole. */
  @Test
  void directoryAndFileReplaceEachOtherWhole() throws IOException {
    ImmutableRef asFile = blobRef(null, "thing", "a file");
    ImmutableRef asDir = blobRef(null, "thing/inside", "in a dir");
    OverlayTree fileThenDir = merge(asFile, asDir).mount(true);
    assertThat(fileThenDir.resolve("thing").get().isDirectory()).isTrue();
    assertThat(TreeRefs.names(fileThenDir, "thing")).containsExactly("inside");
    OverlayTree dirThenFile = merge(asDir, asFile).mount(true);
    assertThat(read(dirThenFile, "thing")).isEqualTo("a file");
    assertThat(dirThenFile.resolve("thing/inside")).isEmpty();
  }

  /** Merge inputs that are merges are flattened: their inputs become the new merge's (case 21's shape). */
  @Test
  void mergeInputsAreFlattenedAndAMergeOfOneMergeIsANewEqualRecord() throws IOException {
    ImmutableRef[] r = new ImmutableRef[6];
    for (int i = 0; i < 6; i++) {
      r[i] = blobRef(null, "f" + i, "v" + i, "shared", "from " + i);
    }
    ImmutableRef m1 = merge(r[0], r[1], r[2]);
    ImmutableRef m2 = merge(r[3], r[4], r[5]);
    ImmutableRef m3 = merge(m1, m2);
    assertThat(m3.parentIds()).containsExactly(r[0].id(), r[1].id(), r[2].id(), r[3].id(), r[4].id(), r[5].id());
    assertThat(read(m3.mount(true), "shared")).isEqualTo("from 5");
    assertThat(TreeRefs.names(m3.mount(true), "")).containsExactly("f0", "f1", "f2", "f3", "f4", "f5", "shared");
    ImmutableRef again = merge(m1);
    assertThat(again.id()).isNotEqualTo(m1.id());
    assertThat(again.parentIds()).isEqualTo(m1.parentIds());
  }

  /** An input repeated later wins there: [x, y, x] shows x over y, as stacking the layers in that order does. */
  @Test
  void aLayerRepeatedHigherUpWinsThere() throws IOException {
    ImmutableRef x = blobRef(null, "f", "x");
    ImmutableRef y = blobRef(null, "f", "y");
    assertThat(read(merge(x, y, x).mount(true), "f")).isEqualTo("x");
    assertThat(read(merge(y, x, y).mount(true), "f")).isEqualTo("y");
  }

  /** Inputs of one chain on a shared base: the base is stacked once, each input's layers on it. */
  @Test
  void mergeOfTwoChildrenOfOneBaseShowsBothOverTheBase() throws IOException {
    ImmutableRef base = blobRef(null, "base", "b", "f", "base's");
    ImmutableRef left = blobRef(base, "left", "l");
    ImmutableRef right = blobRef(base, "right", "r", "f", "right's");
    OverlayTree t = merge(left, right).mount(true);
    assertThat(TreeRefs.walk(t)).isEqualTo(new java.util.TreeMap<>(Map.of(
        "base", "file b", "f", "file right's", "left", "file l", "right", "file r")));
  }

  /**
   * A merge that stacks a base again above a commit that moved the base's file: the base's file
   * and the commit's copy of it are two files there, with two inode numbers (the copy reports its
   * origin's number only where the origin cannot show too).
   */
  @Test
  void aBaseStackedAboveACopyOfItsFileShowsTwoInodeNumbers() throws IOException {
    ImmutableRef base = blobRef(null, "f", "base's");
    ImmutableRef moved = layer(base, t -> t.rename("f", "g", 0));
    assertThat(ino(moved.mount(true), "g")).as("the copy, in its own tree")
        .isEqualTo(ino(base.mount(true), "f"));
    OverlayTree t = merge(moved, base).mount(true);
    assertThat(read(t, "f")).isEqualTo("base's");
    assertThat(read(t, "g")).isEqualTo("base's");
    assertThat(ino(t, "g")).isNotEqualTo(ino(t, "f"));
    assertThat(ino(merge(base, moved).mount(true), "g")).as("the base below the copy")
        .isEqualTo(ino(base.mount(true), "f"));
  }

  private static long ino(OverlayTree t, String path) throws IOException {
    return t.attributes(path).orElseThrow().ino();
  }

  /** A merge keeps its inputs alive, is immutable and survives a restart with its tree. */
  @Test
  void mergeHoldsItsInputsAndSurvivesARestart() throws IOException {
    ImmutableRef a = blobRef(null, "a", "1");
    ImmutableRef b = blobRef(null, "b", "2");
    ImmutableRef m = cm.merge(List.of(a, b));
    String id = m.id();
    String aid = a.id();
    releaseKept();
    m.release();
    assertThat(cm.info(aid).inUse()).isTrue(); // held by the merge alone
    reopen();
    ImmutableRef again = keep(cm.get(id));
    assertThat(again.kind()).isEqualTo(RefKind.MERGE);
    assertThat(cm.info(id).mutable()).isFalse();
    assertThat(TreeRefs.names(again.mount(true), "")).containsExactly("a", "b");
    assertThatThrownBy(() -> cm.getMutable(id)).isInstanceOf(InvalidRefException.class);
  }

  /** A merge's inputs are finalized: the mutable a committed input came from is gone for good. */
  @Test
  void mergingACommittedRefFinalizesIt() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    Files.writeString(((org.refcache.core.overlay.WritableOverlayTree) m.mount(false)).createFile("f", 0644, 0, 0, true),
        "f");
    ImmutableRef c = keep(m.commit());
    ImmutableRef other = blobRef(null, "g", "g");
    merge(c, other);
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(NotFoundException.class);
  }

  /** Merging a released record that is gone fails with NotFound and leaks no handle of the others. */
  @Test
  void mergingAGoneRecordFailsWithoutLeakingHandles() throws IOException {
    ImmutableRef a = blobRef(null, "a", "1");
    MutableRef m = cm.newRef(null);
    ImmutableRef c = m.commit();
    c.release(); // default policy: twin and mutable go
    assertThatThrownBy(() -> cm.merge(List.of(a, c))).isInstanceOf(NotFoundException.class);
    assertThat(cm.handleCount(a.id())).isEqualTo(1);
  }
}
