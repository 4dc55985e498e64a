package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/**
 * What a union path shows is the tree's answer ({@link OverlayTree#attributes}, and the numbers of
 * {@link OverlayTree#list}), for writable and read-only trees alike: the origin's inode number
 * across a copy-up, also once the upper is a layer of a read-only tree (a commit) and in a tree
 * over it (a ref made on the commit); the ctime a copy-up did not change; merged link counts.
 */
class UnionAttributesTest extends WritableTreeFixture {
  /** The read-only tree of a commit of {@code tree}: its upper on top of its lowers. */
  private OverlayTree committed() {
    List<Path> layers = new ArrayList<>();
    layers.add(upper);
    layers.addAll(fixture.lowers());
    return new OverlayTree(layers);
  }

  private static Stat attributes(OverlayTree tree, String path) throws IOException {
    return tree.attributes(path).orElseThrow(() -> new AssertionError("no " + path));
  }

  /** Every path of the tree with the number its attributes report. */
  private static Map<String, Long> numbers(OverlayTree tree) throws IOException {
    Map<String, Long> numbers = new HashMap<>();
    collect(tree, "", numbers);
    return numbers;
  }

  private static void collect(OverlayTree tree, String dir, Map<String, Long> into)
      throws IOException {
    for (DirEntry entry : tree.list(dir)) {
      String path = dir.isEmpty() ? entry.name() : dir + "/" + entry.name();
      long ino = attributes(tree, path).ino();
      assertThat(entry.ino()).as("d_ino of %s", path).isEqualTo(ino);
      into.put(path, ino);
      if (entry.type() == Posix.S_IFDIR) {
        collect(tree, path, into);
      }
    }
  }

  @Test
  void aCommittedUpperShowsTheNumbersTheWritableTreeShowed() throws IOException {
    Map<String, Long> before = numbers(tree);
    tree.chmod("a.txt", 0600);                   // a file copied up
    tree.truncate("dir1/sub/keep.txt", 1);       // with two merged directories above it
    tree.rename("shared", "shared-moved", 0);    // a merged directory rebuilt as a copy
    tree.link("lowdir/top", "lowdir-top-link");  // a copied file with a second name
    tree.createFile("made.txt", 0644, 0, 0, true);
    tree.mkdir("madedir", 0755, 0, 0);

    Map<String, Long> after = numbers(tree);
    for (String path : List.of("a.txt", "dir1", "dir1/sub", "dir1/sub/keep.txt", "lowdir/top")) {
      assertThat(after.get(path)).as(path).isEqualTo(before.get(path));
      assertThat(after.get(path)).as("%s is a copy", path)
          .isNotEqualTo(Posix.lstat(tree.resolve(path).orElseThrow().real()).ino());
    }
    assertThat(after.get("shared-moved")).isEqualTo(before.get("shared"));
    assertThat(after.get("shared-moved/s1.txt")).isEqualTo(before.get("shared/s1.txt"));
    assertThat(after.get("lowdir-top-link")).isEqualTo(before.get("lowdir/top"));
    assertThat(after.get("made.txt")).isEqualTo(Posix.lstat(upper.resolve("made.txt")).ino());

    tree.freeze();
    assertThat(numbers(committed())).isEqualTo(after);
  }

  @Test
  void aCopyOfACommittedCopyShowsTheOriginalNumber() throws IOException {
    long original = attributes(tree, "dir1/f1").ino();
    tree.chmod("dir1/f1", 0600);
    tree.freeze();
    List<Path> layers = new ArrayList<>(committed().layers());
    Path childUpper = Files.createDirectory(base.resolve("child-upper"));
    WritableOverlayTree child = new WritableOverlayTree(childUpper, layers);
    assertThat(attributes(child, "dir1/f1").ino()).isEqualTo(original);

    child.chmod("dir1/f1", 0644); // a copy of the copy
    assertThat(child.resolve("dir1/f1").orElseThrow().isUpper()).isTrue();
    assertThat(attributes(child, "dir1/f1").ino()).isEqualTo(original);
    assertThat(attributes(new WritableOverlayTree(childUpper, layers), "dir1/f1").ino())
        .as("after a restart").isEqualTo(original);
  }

  @Test
  void anOriginIsReadOnlyInAMarkedLayerAndOnlyOfItsOwnFilesystem() throws IOException {
    Path layer = Files.createDirectory(base.resolve("forged"));
    long dev = Posix.lstat(layer).dev();
    Path honest = forged(layer, "honest", dev + ":12345");
    Path foreign = forged(layer, "foreign", (dev + 1) + ":12345");
    Path malformed = forged(layer, "malformed", "12345");
    assertThat(attributes(new OverlayTree(List.of(layer)), "honest").ino())
        .as("unmarked: a layer unpacked from a tarball never holds one")
        .isEqualTo(Posix.lstat(honest).ino());

    Xattrs.lsetxattr(layer, OverlayFormat.ORIGINS_XATTR, new byte[] {'y'}, 0);
    OverlayTree marked = new OverlayTree(List.of(layer));
    assertThat(attributes(marked, "honest").ino()).isEqualTo(12345);
    assertThat(attributes(marked, "foreign").ino()).isEqualTo(Posix.lstat(foreign).ino());
    assertThat(attributes(marked, "malformed").ino()).isEqualTo(Posix.lstat(malformed).ino());
    assertThat(marked.list("")).extracting(DirEntry::ino)
        .containsExactly(Posix.lstat(foreign).ino(), 12345L, Posix.lstat(malformed).ino());
  }

  private static Path forged(Path layer, String name, String origin) throws IOException {
    Path file = Files.writeString(layer.resolve(name), "x");
    Xattrs.lsetxattr(file, OverlayFormat.ORIGIN_INO_XATTR,
        origin.getBytes(StandardCharsets.US_ASCII), 0);
    return file;
  }

  @Test
  void anUpperIsMarkedAtItsFirstCopyWithoutItsRootShowingIt() throws Exception {
    tree.mkdir("made", 0755, 0, 0);
    assertThat(Xattrs.lgetxattr(upper, OverlayFormat.ORIGINS_XATTR)).as("nothing copied").isEmpty();
    tree.chmod("dir1/f1", 0600);
    assertThat(Xattrs.lgetxattr(upper, OverlayFormat.ORIGINS_XATTR)).isPresent();

    // An upper written before the mark existed gets it at its next copy, here below the root.
    Xattrs.lremovexattr(upper, OverlayFormat.ORIGINS_XATTR);
    WritableOverlayTree again = new WritableOverlayTree(upper, fixture.lowers());
    Instant root = attributes(again, "").ctime();
    Thread.sleep(5); // a later real ctime must be distinguishable
    again.chmod("dir1/f2", 0600);

    assertThat(Xattrs.lgetxattr(upper, OverlayFormat.ORIGINS_XATTR)).isPresent();
    assertThat(Posix.lstat(upper).ctime()).isAfter(root);
    assertThat(attributes(again, "").ctime()).isEqualTo(root);
    assertThat(again.listXattr("")).doesNotContain(OverlayFormat.ORIGINS_XATTR);
    again.freeze();
    assertThat(attributes(committed(), "dir1/f1").ino())
        .isEqualTo(Posix.lstat(fixture.bottom.resolve("dir1/f1")).ino());
  }

  @Test
  void attributesAreTheRealFilesButForNumberCtimeAndMergedLinks()
      throws IOException, InterruptedException {
    Instant ctime = attributes(tree, "dir1").ctime();
    Thread.sleep(5); // a later real ctime must be distinguishable
    tree.truncate("dir1/f1", 0); // copies dir1 up
    Node dir = tree.resolve("dir1").orElseThrow();
    assertThat(dir.isUpper()).isTrue();
    Stat real = Posix.lstat(dir.real());
    Stat shown = attributes(tree, "dir1");

    assertThat(shown.ino()).isEqualTo(Posix.lstat(fixture.top.resolve("dir1")).ino())
        .isNotEqualTo(real.ino());
    assertThat(shown.ctime()).isEqualTo(ctime).isBefore(real.ctime());
    // dir1 merges three directories: its subdirectory "sub" is in the lowers only.
    assertThat(real.nlink()).isEqualTo(2);
    assertThat(shown.nlink()).isEqualTo(3);
    assertThat(List.of(shown.dev(), shown.mode(), shown.uid(), shown.gid(), shown.size(),
        shown.mtime(), shown.atime()))
        .isEqualTo(List.of(real.dev(), real.mode(), real.uid(), real.gid(), real.size(),
            real.mtime(), real.atime()));

    tree.mkdir("dir1/new", 0755, 0, 0);
    assertThat(attributes(tree, "dir1").nlink()).as("a writable tree counts again").isEqualTo(4);
    tree.freeze();
    assertThat(attributes(committed(), "dir1").nlink()).isEqualTo(4);
    assertThat(attributes(committed(), "dir1").ino()).isEqualTo(shown.ino());
  }

  @Test
  void aFileOfALowerLayerShowsItsFileAsItIsNow() throws IOException {
    Path lower = fixture.bottom.resolve("dir1/f1");
    assertThat(attributes(tree, "dir1/f1").atime()).isEqualTo(Posix.lstat(lower).atime());
    Instant later = Instant.parse("2030-01-02T03:04:05.678901234Z");
    Posix.utimens(lower, later, null, true); // what reading it can do to its atime

    assertThat(attributes(tree, "dir1/f1").atime()).isEqualTo(later);
    assertThat(attributes(committed(), "dir1/f1").atime()).isEqualTo(later);
    assertThat(tree.attributes("dir1/none")).isEmpty();
  }
}
