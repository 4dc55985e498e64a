package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Posix;
import org.refcache.testing.LayerBuilder;

/**
 * A merged directory's link count is 2 plus the subdirectories it shows (every rule of the union
 * applied: a whiteout or a file above a directory hides it, an opaque directory hides what is
 * below), and it is counted from its directories' listings alone: counting reads none of its
 * entries, so a walk's READDIRPLUS of a directory does not list the level below it.
 */
class MergedLinkCountTest {
  @TempDir Path base;

  private OverlayTree tree() throws IOException {
    LayerBuilder bottom = new LayerBuilder(base.resolve("bottom"));
    bottom.dir("d")
        .dir("d/both").dir("d/hiddenByFile").dir("d/whitedOut").dir("d/lowOnly").dir("d/opq")
        .dir("d/opq/below").file("d/f", "f")
        .dir("o").dir("o/lowA").dir("o/lowB");
    LayerBuilder top = new LayerBuilder(base.resolve("top"));
    top.dir("d")
        .dir("d/both").file("d/hiddenByFile", "a file over a directory").whiteout("d/whitedOut")
        .dir("d/opq").opaque("d/opq").dir("d/topOnly").file("d/g", "g")
        .dir("o").opaque("o").dir("o/topA");
    return new OverlayTree(List.of(top.root(), bottom.root()));
  }

  private static long nlink(OverlayTree t, String path) throws IOException {
    return t.attributes(path).orElseThrow().nlink();
  }

  private static long listedSubdirectories(OverlayTree t, String path) throws IOException {
    return t.list(path).stream().filter(e -> e.type() == Posix.S_IFDIR).count();
  }

  @Test
  void aMergedDirectoryCountsTheSubdirectoriesItShows() throws IOException {
    OverlayTree t = tree();

    // both, lowOnly, opq, topOnly: not hiddenByFile (a file above), not whitedOut.
    assertThat(nlink(t, "d")).isEqualTo(2 + 4).isEqualTo(2 + listedSubdirectories(t, "d"));
  }

  @Test
  void anOpaqueDirectoryCountsOnlyItsOwnSubdirectories() throws IOException {
    OverlayTree t = tree();

    assertThat(nlink(t, "o")).isEqualTo(2 + 1).isEqualTo(2 + listedSubdirectories(t, "o"));
  }

  @Test
  void countingLinksReadsNoEntryOfTheDirectory() throws IOException {
    OverlayTree t = tree();
    t.resolve("d").orElseThrow();
    int resolved = t.cachedResolutions();

    assertThat(nlink(t, "d")).isEqualTo(6);

    // A listing would have resolved d/f and d/g (and read each entry's attributes).
    assertThat(t.cachedResolutions()).isEqualTo(resolved);
  }

  @Test
  void aDirectoryListedFirstIsCountedFromItsListing() throws IOException {
    OverlayTree t = tree();
    long subdirectories = listedSubdirectories(t, "d");

    assertThat(nlink(t, "d")).isEqualTo(2 + subdirectories);
  }
}
