package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.refcache.fuse.kernel.FuseKernel;

class NodeTableTest {

  private final NodeTable nodes = new NodeTable();

  private static final MountPath KEPT = MountPath.unlinked("r", 1);

  private static MountPath p(String path) {
    return MountPath.parse(path);
  }

  @Test
  void theRootIsNodeOneAndIsNeverForgotten() {
    nodes.forget(FuseKernel.ROOT_ID, 100);
    assertThat(nodes.path(FuseKernel.ROOT_ID)).isEqualTo(p("/"));
    assertThat(nodes.child(FuseKernel.ROOT_ID, "refs")).isEqualTo(p("/refs"));
  }

  @Test
  void aNameLookedUpTwiceKeepsItsNodeUntilBothLookupsAreForgotten() {
    NodeTable.Node first = nodes.entered(p("/refs/r/a"), 10, 1, false);
    NodeTable.Node again = nodes.entered(p("/refs/r/a"), 10, 1, false);
    assertThat(again.id).isEqualTo(first.id);

    nodes.forget(first.id, 1);
    assertThat(nodes.path(first.id)).isEqualTo(p("/refs/r/a"));
    nodes.forget(first.id, 1);
    assertThat(nodes.path(first.id)).isNull();
    assertThat(nodes.entered(p("/refs/r/a"), 10, 1, false).id).isNotEqualTo(first.id);
  }

  @Test
  void namesOfOneHardLinkedFileShareANodeWithinARefOnly() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 10, 2, false);
    NodeTable.Node b = nodes.entered(p("/refs/r/dir/b"), 10, 2, false);
    NodeTable.Node other = nodes.entered(p("/refs/s/a"), 10, 2, false);
    assertThat(b.id).isEqualTo(a.id);
    assertThat(other.id).isNotEqualTo(a.id);
  }

  @Test
  void directoriesAndSingleLinkFilesGetANodePerName() {
    assertThat(nodes.entered(p("/refs/r/d1"), 10, 2, true).id)
        .isNotEqualTo(nodes.entered(p("/refs/r/d2"), 10, 2, true).id);
    assertThat(nodes.entered(p("/refs/r/f1"), 11, 1, false).id)
        .isNotEqualTo(nodes.entered(p("/refs/r/f2"), 11, 1, false).id);
  }

  @Test
  void aLinkJoinsTheNodeOfTheExistingNameAndLaterLookupsFindIt() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 10, 1, false);
    assertThat(nodes.linked(a.id, p("/refs/r/b"), 10).id).isEqualTo(a.id);
    assertThat(nodes.entered(p("/refs/r/b"), 10, 2, false).id).isEqualTo(a.id);

    nodes.unlinked(p("/refs/r/a"));
    assertThat(nodes.path(a.id)).isEqualTo(p("/refs/r/b"));
  }

  @Test
  void aHardLinkedFileKeepsEachOfItsNamesThroughRenamesAndUnlinksInAnyOrder() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 10, 3, false);
    nodes.entered(p("/refs/r/b"), 10, 3, false);
    nodes.entered(p("/refs/r/c"), 10, 3, false);

    nodes.renamed(p("/refs/r/c"), p("/refs/r/d/c"), false); // a name other than the first
    nodes.unlinked(p("/refs/r/a"));
    assertThat(nodes.path(a.id)).isEqualTo(p("/refs/r/b"));
    assertThat(nodes.at(p("/refs/r/d/c"))).isSameAs(a);
    assertThat(nodes.at(p("/refs/r/c"))).isNull();

    nodes.unlinked(p("/refs/r/b"));
    assertThat(nodes.path(a.id)).isEqualTo(p("/refs/r/d/c"));
    nodes.unlinked(p("/refs/r/d/c"));
    assertThat(nodes.path(a.id)).isNull();
    assertThat(nodes.entered(p("/refs/r/e"), 10, 1, false).id).isNotEqualTo(a.id);
  }

  @Test
  void renamingADirectoryMovesEverythingBelowIt() {
    NodeTable.Node dir = nodes.entered(p("/refs/r/d"), 1, 2, true);
    NodeTable.Node file = nodes.entered(p("/refs/r/d/sub/f"), 2, 1, false);
    NodeTable.Node lookalike = nodes.entered(p("/refs/r/dx"), 3, 1, false);

    nodes.renamed(p("/refs/r/d"), p("/refs/r/e"), false);

    assertThat(nodes.path(dir.id)).isEqualTo(p("/refs/r/e"));
    assertThat(nodes.path(file.id)).isEqualTo(p("/refs/r/e/sub/f"));
    assertThat(nodes.path(lookalike.id)).isEqualTo(p("/refs/r/dx"));
    assertThat(nodes.at(p("/refs/r/d/sub/f"))).isNull();
  }

  @Test
  void renamingOverANameDetachesTheReplacedNode() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 1, false);
    NodeTable.Node b = nodes.entered(p("/refs/r/b"), 2, 1, false);

    nodes.renamed(p("/refs/r/a"), p("/refs/r/b"), false);

    assertThat(nodes.path(a.id)).isEqualTo(p("/refs/r/b"));
    assertThat(nodes.path(b.id)).isNull();
  }

  @Test
  void exchangeSwapsTwoSubtrees() {
    NodeTable.Node d = nodes.entered(p("/refs/r/d"), 1, 2, true);
    NodeTable.Node inD = nodes.entered(p("/refs/r/d/x"), 2, 1, false);
    NodeTable.Node f = nodes.entered(p("/refs/r/f"), 3, 1, false);

    nodes.renamed(p("/refs/r/d"), p("/refs/r/f"), true);

    assertThat(nodes.path(d.id)).isEqualTo(p("/refs/r/f"));
    assertThat(nodes.path(inD.id)).isEqualTo(p("/refs/r/f/x"));
    assertThat(nodes.path(f.id)).isEqualTo(p("/refs/r/d"));
  }

  @Test
  void anOpenFileUnlinkedIsKeptUntilItsLastRelease() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 1, false);
    nodes.opened(a.id);
    assertThat(nodes.openWithLastName(p("/refs/r/a"))).isSameAs(a);

    assertThat(nodes.keptUnlinked(a, p("/refs/r/a"), KEPT)).isTrue();
    nodes.forget(a.id, 1);

    assertThat(nodes.path(a.id)).isEqualTo(KEPT);
    assertThat(nodes.released(a.id)).isEqualTo(KEPT);
    assertThat(nodes.path(a.id)).isNull();
    assertThat(nodes.size()).isEqualTo(1); // the root
  }

  @Test
  void aFileWithAnotherKnownNameIsNotHiddenOnUnlink() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 2, false);
    nodes.entered(p("/refs/r/b"), 1, 2, false);
    nodes.opened(a.id);
    assertThat(nodes.openWithLastName(p("/refs/r/a"))).isNull();
  }

  @Test
  void aNodeKeepsOneBackingFileUntilItIsForgotten() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 1, false);
    assertThat(nodes.openFromBacking(a.id)).isZero();
    nodes.opened(a.id);
    assertThat(nodes.adoptBacking(a.id, 7)).isEqualTo(7);
    assertThat(nodes.adoptBacking(a.id, 8)).as("a second registration loses").isEqualTo(7);
    assertThat(nodes.openFromBacking(a.id)).isEqualTo(7);
    nodes.released(a.id);
    nodes.released(a.id);
    assertThat(nodes.takeUnusedBackings()).isEmpty();

    nodes.forget(a.id, 1);

    assertThat(nodes.takeUnusedBackings()).containsExactly(7);
    assertThat(nodes.takeUnusedBackings()).isEmpty();
  }

  @Test
  void passthroughIsRefusedWhileTheNodeHasOpensWithoutIt() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 1, false);
    nodes.opened(a.id); // an open that did without passthrough
    nodes.opened(a.id); // this one asks for it
    assertThat(nodes.adoptBacking(a.id, 7)).isZero();
  }

  @Test
  void aGoneRefsBackingFilesCloseAtOnceWhenIdleAndAtTheLastReleaseOtherwise() {
    NodeTable.Node idle = nodes.entered(p("/refs/r/a"), 1, 1, false);
    NodeTable.Node open = nodes.entered(p("/refs/r/b"), 2, 1, false);
    NodeTable.Node other = nodes.entered(p("/refs/rr/c"), 3, 1, false);
    nodes.opened(idle.id);
    nodes.adoptBacking(idle.id, 7);
    nodes.released(idle.id);
    nodes.opened(open.id);
    nodes.adoptBacking(open.id, 8);
    nodes.opened(other.id);
    nodes.adoptBacking(other.id, 9);

    assertThat(nodes.takeBackingsOf("r")).containsExactly(7);
    assertThat(nodes.openFromBacking(open.id)).as("still usable while open").isEqualTo(8);
    nodes.released(open.id);
    assertThat(nodes.takeUnusedBackings()).isEmpty();
    nodes.released(open.id);
    assertThat(nodes.takeUnusedBackings()).containsExactly(8);
    assertThat(nodes.openFromBacking(other.id)).isEqualTo(9);
  }

  @Test
  void anUnlinkedFileReleasedMeanwhileIsNotKept() {
    NodeTable.Node a = nodes.entered(p("/refs/r/a"), 1, 1, false);
    nodes.opened(a.id);
    nodes.released(a.id); // the release overtook the unlink

    assertThat(nodes.keptUnlinked(a, p("/refs/r/a"), KEPT)).isFalse();
    assertThat(nodes.path(a.id)).isNull();
  }
}
