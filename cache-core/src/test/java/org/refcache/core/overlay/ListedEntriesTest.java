package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listing remembers what a lookup of each listed non-directory finds (so that a walk reads each
 * entry once): looking a name up after listing its directory gives what a tree that never listed
 * it gives, in read-only and writable trees, also after the writable tree changed the name.
 */
class ListedEntriesTest {
  @TempDir Path dir;

  private static List<String> allPaths(OverlayTree t, String at) throws IOException {
    List<String> out = new ArrayList<>();
    for (DirEntry e : t.list(at)) {
      String p = TreePath.child(at, e.name());
      out.add(p);
      if (e.type() == org.refcache.posix.Posix.S_IFDIR) {
        out.addAll(allPaths(t, p));
      }
    }
    return out;
  }

  @Test
  void aListedNameResolvesAsInATreeThatNeverListedIt() throws IOException {
    Fixture f = Fixture.create(dir);
    OverlayTree listed = new OverlayTree(f.lowers());
    List<String> paths = allPaths(listed, "");
    OverlayTree fresh = new OverlayTree(f.lowers());
    for (String p : paths) {
      assertThat(listed.resolve(p)).as(p).isEqualTo(fresh.resolve(p));
    }
    assertThat(paths).isNotEmpty();
  }

  @Test
  void aWritableTreeAnswersWithItsUpperAfterListingTheLowers() throws IOException {
    Fixture f = Fixture.create(dir);
    Path upper = Files.createDirectories(dir.resolve("upper"));
    WritableOverlayTree t = new WritableOverlayTree(upper, f.lowers());
    List<String> paths = allPaths(t, "");
    assertThat(paths).contains("a.txt", "dir1/f1");
    Files.writeString(t.openForWrite("a.txt", true), "changed");
    t.unlink("dir1/f1");
    assertThat(Files.readString(t.resolve("a.txt").get().real())).isEqualTo("changed");
    assertThat(t.resolve("dir1/f1")).isEmpty();
    t.createFile("dir1/f1", 0644, 0, 0, true);
    assertThat(t.resolve("dir1/f1").get().isUpper()).isTrue();
    OverlayTree lowersOnly = new OverlayTree(f.lowers());
    for (String p : paths) {
      if (!List.of("a.txt", "dir1/f1", "dir1").contains(p)) { // dir1 was copied up by the unlink
        assertThat(t.resolve(p).map(Node::real)).as(p).isEqualTo(lowersOnly.resolve(p).map(Node::real));
      }
    }
  }

  /** A listing of the layers alone is kept; once the upper holds the directory, it is listed anew. */
  @Test
  void aWritableTreeListsADirectoryAgainOnceItsUpperChangesIt() throws IOException {
    Fixture f = Fixture.create(dir);
    Path upper = Files.createDirectories(dir.resolve("upper"));
    WritableOverlayTree t = new WritableOverlayTree(upper, f.lowers());
    List<String> before = t.list("dir2").stream().map(DirEntry::name).toList();
    assertThat(t.list("dir2")).extracting(DirEntry::name).isEqualTo(before);
    String gone = before.get(0);
    t.createFile("dir2/new", 0644, 0, 0, true);
    t.unlink("dir2/" + gone);
    List<String> after = t.list("dir2").stream().map(DirEntry::name).toList();
    assertThat(after).contains("new").doesNotContain(gone);
  }

  /**
   * In a tree that never changes, attribute reads of a listed entry take what its directory's kept
   * listing read instead of reading the file again, the first and every later one (a walk after
   * the kernel forgot its inodes reads no inode from disk); a tree without that listing reads the
   * file as it is now. Shown by moving the atime after the listing, as reading the file may.
   */
  @Test
  void attributeReadsInATreeThatNeverChangesTakeTheKeptListingsStat() throws IOException {
    Fixture f = Fixture.create(dir);
    OverlayTree t = new OverlayTree(f.lowers());
    Path real = t.resolve("dir1/f1").get().real();
    java.time.Instant listedAtime = org.refcache.posix.Posix.lstat(real).atime();
    OverlayTree walked = new OverlayTree(f.lowers());
    walked.list("dir1");
    java.time.Instant later = java.time.Instant.parse("2031-02-03T04:05:06.123456789Z");
    org.refcache.posix.Posix.utimens(real, later, null, true);

    assertThat(walked.attributes("dir1/f1").get().atime()).as("the walk's read").isEqualTo(listedAtime);
    assertThat(walked.attributes("dir1/f1").get().atime()).as("a later read").isEqualTo(listedAtime);
    assertThat(new OverlayTree(f.lowers()).attributes("dir1/f1").get().atime()).as("without the listing")
        .isEqualTo(later);
  }

  /** A name the writable tree copied up since its listing is read from its upper, not the listing. */
  @Test
  void aCopiedUpFileIsNotAnsweredFromTheListingOfItsLowerFile() throws IOException {
    Fixture f = Fixture.create(dir);
    Path upper = Files.createDirectories(dir.resolve("upper"));
    WritableOverlayTree t = new WritableOverlayTree(upper, f.lowers());
    t.list("");
    Files.writeString(t.openForWrite("a.txt", true), "a longer content than before");
    assertThat(t.attributes("a.txt").get().size()).isEqualTo("a longer content than before".length());
  }

  /**
   * A listing of a tree that never changes gives each non-directory's attributes as an attribute
   * read would (so a READDIRPLUS needs no lookup per entry); not a directory's (its link count is
   * merged), and nothing of a writable tree, whose upper may change them.
   */
  @Test
  void aListingOfATreeThatNeverChangesGivesItsFilesAttributes() throws IOException {
    Fixture f = Fixture.create(dir);
    OverlayTree t = new OverlayTree(f.lowers());
    int given = 0;
    for (String d : List.of("", "dir1", "dir1/sub", "dir2")) {
      for (DirEntry e : t.list(d)) {
        String p = TreePath.child(d, e.name());
        if (e.type() == org.refcache.posix.Posix.S_IFDIR) {
          assertThat(e.shown()).as(p).isNull();
        } else {
          assertThat(e.shown()).as(p).isEqualTo(new OverlayTree(f.lowers()).attributes(p).get());
          given++;
        }
      }
    }
    assertThat(given).isGreaterThan(5);

    WritableOverlayTree writable =
        new WritableOverlayTree(Files.createDirectories(dir.resolve("upper")), f.lowers());
    assertThat(writable.list("dir1")).isNotEmpty().allSatisfy(e -> assertThat(e.shown()).isNull());
  }

  /**
   * After a listing of a tree that never changes, a lookup of a name in that directory is
   * answered from the listing without reading the layers: shown by changing the layer on disk
   * after the listing (which a layer never does), a listed file still resolves and a name that was
   * not listed stays absent, while a tree without the listing sees the change.
   */
  @Test
  void aLookupAfterTheListingIsAnsweredFromIt() throws IOException {
    Fixture f = Fixture.create(dir);
    OverlayTree walked = new OverlayTree(f.lowers());
    walked.list("dir1");
    Path real = walked.resolve("dir1/f1").get().real();
    OverlayTree walkedAgain = new OverlayTree(f.lowers());
    walkedAgain.list("dir1");
    Files.delete(real);
    Files.writeString(real.resolveSibling("appeared"), "after the listing");

    assertThat(walkedAgain.resolve("dir1/f1")).map(Node::real).contains(real);
    assertThat(walkedAgain.resolve("dir1/appeared")).isEmpty();
    OverlayTree fresh = new OverlayTree(f.lowers());
    assertThat(fresh.resolve("dir1/f1")).isEmpty();
    assertThat(fresh.resolve("dir1/appeared")).isPresent();
  }
}
