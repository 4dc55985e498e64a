package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;

/**
 * A file's {@code st_ino} through the mount stays the same, as on a plain filesystem, through a
 * copy-up, a commit (through the committed ID and through the mutable's ID, which stands for the
 * twin), a restart of the service, and a ref made on the commit that copies it up again; from a
 * lazily imported layer's first read on; and in a merge, where numbers stay one per file even when
 * an input's layers stand again above a committed upper that copied from them.
 */
class InodeNumberTest {
  private ServiceFixture svc;
  private String base;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
    Path layer = svc.dir.resolve("base.tar");
    Instant t = LayerTar.t(1_600_000_000L, 0);
    Files.write(layer, LayerTar.tar(List.of(
        new LayerTar.File("keep.txt", 0644, 0, 0, t, Map.of(), "from the base\n".getBytes()),
        new LayerTar.Dir("dir", 0755, 0, 0, t, Map.of()),
        new LayerTar.File("dir/inner.txt", 0644, 0, 0, t, Map.of(), "inner\n".getBytes()),
        new LayerTar.File("untouched.txt", 0644, 0, 0, t, Map.of(), "as it was\n".getBytes()))));
    base = svc.ok("import", layer.toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  private static long ino(Path file) throws Exception {
    return Posix.lstat(file).ino();
  }

  /** The numbers of {@code paths} in the tree of {@code id}, checked to be one apiece. */
  private Map<String, Long> numbers(String id, List<String> paths) throws Exception {
    Map<String, Long> numbers = new LinkedHashMap<>();
    for (String path : paths) {
      numbers.put(path, ino(svc.tree(id).resolve(path)));
    }
    assertThat(numbers.values()).doesNotHaveDuplicates();
    return numbers;
  }

  @Test
  void aFilesInodeNumberSurvivesCopyUpCommitAndRestart() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    Path tree = svc.tree(mutable);
    List<String> lower = List.of("keep.txt", "dir", "dir/inner.txt", "untouched.txt");
    Map<String, Long> before = numbers(mutable, lower);

    Files.writeString(tree.resolve("keep.txt"), "appended\n", StandardOpenOption.APPEND);
    Posix.chmod(tree.resolve("dir/inner.txt"), 0600); // copies dir up too
    Files.writeString(tree.resolve("made.txt"), "made in the upper\n");
    List<String> all = List.of("keep.txt", "dir", "dir/inner.txt", "untouched.txt", "made.txt");
    Map<String, Long> written = numbers(mutable, all);
    assertThat(written).containsAllEntriesOf(before);

    String committed = svc.ok("commit", mutable);
    assertThat(numbers(committed, all)).as("through the committed ID").isEqualTo(written);
    assertThat(numbers(mutable, all)).as("through the mutable's ID").isEqualTo(written);

    svc.restart();
    assertThat(numbers(committed, all)).as("after a restart").isEqualTo(written);
    assertThat(numbers(mutable, all)).as("the mutable's ID after a restart").isEqualTo(written);
    assertThat(Files.readString(svc.tree(committed).resolve("keep.txt")))
        .isEqualTo("from the base\nappended\n");

    String child = svc.ok("new", "--parent", committed);
    Files.writeString(svc.tree(child).resolve("keep.txt"), "again\n", StandardOpenOption.APPEND);
    Files.writeString(svc.tree(child).resolve("untouched.txt"), "now copied\n");
    assertThat(numbers(child, all)).as("copied up again in a ref on the commit")
        .isEqualTo(written);
  }

  private boolean lazy(String id) throws Exception {
    return svc.info(id).path("blobOnly").asBoolean();
  }

  @Test
  void aLazyLayersFileKeepsTheNumberOfItsFirstReadThroughCopyUpCommitAndRestart() throws Exception {
    Path layer = svc.dir.resolve("top.tar");
    Instant t = LayerTar.t(1_600_000_100L, 0);
    Files.write(layer, LayerTar.tar(List.of(
        new LayerTar.File("top.txt", 0644, 0, 0, t, Map.of(), "from the top\n".getBytes()),
        new LayerTar.File("top-too.txt", 0644, 0, 0, t, Map.of(), "also the top\n".getBytes()))));
    String top = svc.ok("import", "--parent", base, layer.toString());
    assertThat(lazy(top)).as("not unpacked before the first read").isTrue();

    long firstRead = ino(svc.tree(top).resolve("top.txt")); // unpacks
    assertThat(lazy(top)).as("unpacked by the first read").isFalse();
    List<String> all = List.of("top.txt", "top-too.txt", "keep.txt", "dir/inner.txt");
    Map<String, Long> first = numbers(top, all);
    assertThat(first).containsEntry("top.txt", firstRead);

    String mutable = svc.ok("new", "--parent", top);
    assertThat(numbers(mutable, all)).as("through a mutable child").isEqualTo(first);
    Files.writeString(svc.tree(mutable).resolve("top.txt"), "changed\n", StandardOpenOption.APPEND);
    Posix.chmod(svc.tree(mutable).resolve("keep.txt"), 0600);
    assertThat(numbers(mutable, all)).as("after copy-ups").isEqualTo(first);

    String committed = svc.ok("commit", mutable);
    svc.restart();
    assertThat(numbers(committed, all)).as("the commit after a restart").isEqualTo(first);
    assertThat(numbers(top, all)).as("the import after a restart").isEqualTo(first);
    assertThat(Files.readString(svc.tree(committed).resolve("top.txt")))
        .isEqualTo("from the top\nchanged\n");
  }

  @Test
  void aLazyRefFirstReadAfterARestartKeepsItsNumbersThroughTheNextRestartAndAChild() throws Exception {
    svc.restart(); // the lazy record comes back before anything is unpacked
    assertThat(lazy(base)).isTrue();
    List<String> paths = List.of("keep.txt", "dir", "dir/inner.txt", "untouched.txt");
    Map<String, Long> first = numbers(base, paths);
    assertThat(lazy(base)).isFalse();
    svc.restart();
    assertThat(numbers(base, paths)).isEqualTo(first);
    String child = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(child).resolve("untouched.txt"), "copied\n");
    assertThat(numbers(child, paths)).isEqualTo(first);
  }

  @Test
  void aMergeShowsEachFileWithTheNumberItsInputShows() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(mutable).resolve("keep.txt"), "appended\n", StandardOpenOption.APPEND);
    String committed = svc.ok("commit", mutable);
    Path other = svc.dir.resolve("other.tar");
    Files.write(other, LayerTar.tar(List.of(new LayerTar.File("other.txt", 0644, 0, 0,
        LayerTar.t(1_600_000_200L, 0), Map.of(), "other\n".getBytes()))));
    String unrelated = svc.ok("import", other.toString());

    List<String> paths = List.of("keep.txt", "dir", "dir/inner.txt", "untouched.txt");
    Map<String, Long> inInput = numbers(committed, paths);
    String merged = svc.ok("merge", unrelated, committed);
    Map<String, Long> inMerge = numbers(merged, List.of("keep.txt", "dir", "dir/inner.txt",
        "untouched.txt", "other.txt"));
    assertThat(inMerge).containsAllEntriesOf(inInput);
    assertThat(Files.readString(svc.tree(merged).resolve("keep.txt")))
        .isEqualTo("from the base\nappended\n");

    String onMerge = svc.ok("new", "--parent", merged);
    Files.writeString(svc.tree(onMerge).resolve("untouched.txt"), "now copied\n");
    svc.restart();
    assertThat(numbers(merged, List.copyOf(inMerge.keySet()))).isEqualTo(inMerge);
    assertThat(numbers(onMerge, List.copyOf(inMerge.keySet()))).as("copied up on the merge")
        .isEqualTo(inMerge);
  }

  @Test
  void aMergeThatStacksABaseAboveAnUpperCopiedFromItShowsNoNumberTwice() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    Path tree = svc.tree(mutable);
    Files.move(tree.resolve("keep.txt"), tree.resolve("moved.txt"));
    Files.writeString(tree.resolve("untouched.txt"), "changed\n");
    String committed = svc.ok("commit", mutable);
    assertThat(ino(svc.tree(committed).resolve("moved.txt")))
        .isEqualTo(ino(svc.tree(base).resolve("keep.txt")));

    // The base's layer stands again above the commit's upper: keep.txt is back, beside the copy
    // that moved.txt is, and untouched.txt is the base's again.
    String merged = svc.ok("merge", committed, base);
    Path shown = svc.tree(merged);
    assertThat(Files.readString(shown.resolve("keep.txt"))).isEqualTo("from the base\n");
    assertThat(Files.readString(shown.resolve("moved.txt"))).isEqualTo("from the base\n");
    assertThat(Files.readString(shown.resolve("untouched.txt"))).isEqualTo("as it was\n");
    List<String> paths = List.of("keep.txt", "moved.txt", "untouched.txt", "dir", "dir/inner.txt");
    numbers(merged, paths);
    String onMerge = svc.ok("new", "--parent", merged);
    Posix.chmod(svc.tree(onMerge).resolve("moved.txt"), 0600);
    numbers(onMerge, paths);
    svc.restart();
    numbers(merged, paths);
    numbers(onMerge, paths);
    numbers(svc.ok("merge", svc.ok("diff", base, committed), base), paths);
  }

  @Test
  void aMutablesCopiedUpFileKeepsItsNumberAcrossARestartBeforeCommit() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    Path file = svc.tree(mutable).resolve("keep.txt");
    long before = ino(file);
    Files.writeString(file, "changed\n");

    svc.restart();

    assertThat(ino(svc.tree(mutable).resolve("keep.txt"))).isEqualTo(before);
  }
}
