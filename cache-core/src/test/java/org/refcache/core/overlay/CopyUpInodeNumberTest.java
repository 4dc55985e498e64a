package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/**
 * A copied-up file keeps reporting its lower file's inode number ({@code st_ino} does not change
 * at copy-up on ext4, nor on overlayfs), through renames, hard links and a new tree over the same
 * upper; files made in the upper report their own.
 */
class CopyUpInodeNumberTest extends WritableTreeFixture {
  /** What the union reports for {@code path}: its attributes' number, its node's the same. */
  private static long reported(OverlayTree tree, String path) throws IOException {
    long ino = tree.attributes(path).orElseThrow().ino();
    assertThat(tree.resolve(path).orElseThrow().ino()).as("node of %s", path).isEqualTo(ino);
    return ino;
  }

  private long lowerIno(String layerPath) throws IOException {
    return Posix.lstat(fixture.bottom.resolve(layerPath)).ino();
  }

  @Test
  void aCopiedUpFileReportsTheInodeNumberOfItsLowerFile() throws IOException {
    long before = reported(tree, "a.txt");
    assertThat(before).isEqualTo(lowerIno("a.txt"));
    tree.chmod("a.txt", 0600);
    assertThat(Posix.lstat(upper.resolve("a.txt")).ino()).isNotEqualTo(before);
    assertThat(reported(tree, "a.txt")).isEqualTo(before);
    tree.openForWrite("dir1/f1", true); // O_TRUNC copy-up, without content
    assertThat(reported(tree, "dir1/f1")).isEqualTo(lowerIno("dir1/f1"));
    tree.copyUp("link"); // symlinks and special files too
    tree.copyUp("fifo");
    assertThat(reported(tree, "link")).isEqualTo(lowerIno("link"));
    assertThat(reported(tree, "fifo")).isEqualTo(lowerIno("fifo"));
  }

  @Test
  void aCopiedUpDirectoryReportsTheInodeNumberOfItsLowerDirectoryThroughRenames()
      throws IOException {
    long before = reported(tree, "dir1");
    // dir1 is in both lower layers: the merged directory reports the top one's number.
    assertThat(before).isEqualTo(Posix.lstat(fixture.top.resolve("dir1")).ino());
    tree.createFile("dir1/new", 0644, 0, 0, true); // copies dir1 up
    assertThat(tree.resolve("dir1").orElseThrow().isUpper()).isTrue();
    assertThat(reported(tree, "dir1")).isEqualTo(before);
    tree.rename("dir1", "dir1-renamed", 0); // merged: rebuilt as an opaque copy
    assertThat(reported(tree, "dir1-renamed")).isEqualTo(before);
    WritableOverlayTree again = new WritableOverlayTree(upper, fixture.lowers());
    assertThat(reported(again, "dir1-renamed")).isEqualTo(before);
    again.mkdir("made", 0755, 0, 0);
    assertThat(reported(again, "made")).isEqualTo(Posix.lstat(upper.resolve("made")).ino());
  }

  /**
   * Renaming a merged directory rebuilds it; a directory made in the upper inside it must not keep
   * its old number, which the deleted old tree frees and ext4 hands out again.
   */
  @Test
  void aDirectoryMadeInsideARenamedMergedDirectoryNeverSharesANumber() throws IOException {
    tree.mkdir("dir1/made", 0755, 0, 0);
    tree.rename("dir1", "dir1-renamed", 0);
    java.util.Set<Long> seen = new java.util.HashSet<>();
    seen.add(reported(tree, "dir1-renamed"));
    seen.add(reported(tree, "dir1-renamed/made"));
    for (int i = 0; i < 20; i++) {
      tree.createFile("new" + i, 0644, 0, 0, true);
      tree.mkdir("newdir" + i, 0755, 0, 0);
      assertThat(seen.add(reported(tree, "new" + i))).as("new%d", i).isTrue();
      assertThat(seen.add(reported(tree, "newdir" + i))).as("newdir%d", i).isTrue();
    }
  }

  @Test
  void aRenamedLowerFileKeepsItsInodeNumberAcrossANewTree() throws IOException {
    long before = reported(tree, "a.txt");
    tree.rename("a.txt", "dir1/moved", 0);
    assertThat(reported(tree, "dir1/moved")).isEqualTo(before);
    tree.rename("dir1", "dir1-renamed", 0); // a merged directory: rebuilt as an opaque copy
    assertThat(reported(tree, "dir1-renamed/moved")).isEqualTo(before);
    assertThat(reported(tree, "dir1-renamed/f1")).isEqualTo(lowerIno("dir1/f1"));
    WritableOverlayTree again = new WritableOverlayTree(upper, fixture.lowers());
    assertThat(reported(again, "dir1-renamed/moved")).isEqualTo(before);
    assertThat(reported(again, "dir1-renamed/f1")).isEqualTo(lowerIno("dir1/f1"));
  }

  @Test
  void filesMadeInTheUpperReportTheirOwnNumberEvenAtAnOldName() throws IOException {
    long lower = reported(tree, "a.txt");
    tree.copyUp("a.txt");
    tree.unlink("a.txt");
    tree.createFile("a.txt", 0644, 0, 0, true);
    long own = Posix.lstat(upper.resolve("a.txt")).ino();
    assertThat(reported(tree, "a.txt")).isEqualTo(own).isNotEqualTo(lower);
    tree.copyUp("dir1/f1");
    tree.rename("a.txt", "dir1/f1", 0); // over a copied-up file
    assertThat(reported(tree, "dir1/f1")).isEqualTo(own);
    assertThat(reported(new WritableOverlayTree(upper, fixture.lowers()), "dir1/f1"))
        .isEqualTo(own);
  }

  @Test
  void everyNameOfAHardLinkedCopyReportsOneNumber() throws IOException {
    Files.createLink(fixture.bottom.resolve("dir1/f1-link"), fixture.bottom.resolve("dir1/f1"));
    tree = new WritableOverlayTree(upper, fixture.lowers());
    long lower = lowerIno("dir1/f1");
    tree.chmod("dir1/f1", 0600); // links the other name to the copy
    tree.link("dir1/f1", "third");
    for (String name : List.of("dir1/f1", "dir1/f1-link", "third")) {
      assertThat(tree.resolve(name).orElseThrow().isUpper()).isTrue();
      assertThat(reported(tree, name)).as(name).isEqualTo(lower);
    }
    WritableOverlayTree again = new WritableOverlayTree(upper, fixture.lowers());
    assertThat(reported(again, "third")).isEqualTo(lower);
  }

  @Test
  void theOriginAttributeIsInvisibleAndUntouchable() throws IOException {
    tree.copyUp("a.txt");
    assertThat(Xattrs.lgetxattr(upper.resolve("a.txt"), OverlayFormat.ORIGIN_INO_XATTR))
        .isPresent();
    assertThat(tree.listXattr("a.txt")).doesNotContain(OverlayFormat.ORIGIN_INO_XATTR);
    assertThat(tree.getXattr("a.txt", OverlayFormat.ORIGIN_INO_XATTR)).isEmpty();
    assertThatThrownBy(() -> tree.setXattr("a.txt", OverlayFormat.ORIGIN_INO_XATTR,
        new byte[] {'1'}, 0)).isInstanceOf(AccessDeniedException.class);
    tree.link("a.txt", "b.txt");
    tree.copyUp("b.txt");
    assertThat(Xattrs.lgetxattr(upper.resolve("b.txt"), OverlayFormat.ORIGIN_INO_XATTR))
        .isPresent(); // the same file
  }
}
