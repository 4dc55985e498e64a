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
 * twin), a restart of the service, and a ref made on the commit that copies it up again.
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
