package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Posix;

/**
 * The upper directories a writable tree remembers from its lookups ({@link UpperDirectories}): a
 * lookup walks through them without reading the upper, so every mutation that removes, moves or
 * replaces a directory must make the tree read that name again. Each case first walks through the
 * directory (so it is remembered), changes it, then looks below it, where a stale answer would walk
 * into a whiteout or a file.
 */
class UpperDirectoriesTest extends WritableTreeFixture {

  @Test
  void forgettingAPathForgetsEverythingBelowItAndNothingBeside() {
    UpperDirectories dirs = new UpperDirectories();
    for (String p : new String[] {"a", "a/b", "a/b/c", "a/b/c/d", "a/bc", "a/b-c", "a/b.d", "b"}) {
      dirs.add(p);
    }
    dirs.forget("a/b");
    assertThat(dirs.isDirectory("a/b")).isFalse();
    assertThat(dirs.isDirectory("a/b/c")).isFalse();
    assertThat(dirs.isDirectory("a/b/c/d")).isFalse();
    assertThat(dirs.isDirectory("a")).isTrue();
    assertThat(dirs.isDirectory("a/bc")).isTrue();
    assertThat(dirs.isDirectory("a/b-c")).isTrue();
    assertThat(dirs.isDirectory("a/b.d")).isTrue();
    assertThat(dirs.isDirectory("b")).isTrue();
    dirs.forget("");
    assertThat(dirs.size()).isZero();
  }

  @Test
  void renameOfAMergedDirectoryHidesItsLowerChildrenAtTheOldName() throws IOException {
    tree.createFile("dir1/sub/new.txt", 0644, 0, 0, true); // dir1 and dir1/sub copied up
    assertThat(tree.resolve("dir1/sub/keep.txt")).isPresent();
    tree.rename("dir1", "moved", 0);
    assertThat(Posix.lstat(upper.resolve("dir1")).isWhiteout()).isTrue();
    assertThat(tree.resolve("dir1/sub/keep.txt")).isEmpty();
    assertThat(tree.resolve("dir1/sub")).isEmpty();
    assertThat(tree.resolve("moved/sub/keep.txt")).isPresent();
    assertThatThrownBy(() -> tree.createFile("dir1/sub/after.txt", 0644, 0, 0, true))
        .isInstanceOf(NoSuchFileException.class);
    tree.createFile("moved/sub/after.txt", 0644, 0, 0, true);
    assertThat(Posix.lstat(upper.resolve("moved/sub/after.txt")).isRegularFile()).isTrue();
  }

  @Test
  void rmdirThenMkdirOfTheSameNameShowsNothingOfTheOldDirectory() throws IOException {
    tree.createFile("dir2/new.txt", 0644, 0, 0, true); // dir2 copied up
    assertThat(tree.resolve("dir2/z.txt")).isPresent();
    tree.unlink("dir2/z.txt");
    tree.unlink("dir2/new.txt");
    tree.rmdir("dir2");
    assertThat(tree.resolve("dir2/z.txt")).isEmpty(); // through the whiteout: nothing
    assertThat(tree.resolve("dir2")).isEmpty();
    tree.mkdir("dir2", 0755, 0, 0);
    assertThat(tree.resolve("dir2/z.txt")).isEmpty();
    assertThat(tree.list("dir2")).isEmpty();
    tree.createFile("dir2/z.txt", 0600, 0, 0, true);
    assertThat(tree.resolve("dir2/z.txt").orElseThrow().stat().size()).isZero();
  }

  @Test
  void aDirectoryRemovedAndMadeAFileIsNoLongerWalkedThrough() throws IOException {
    tree.mkdir("m", 0755, 0, 0);
    tree.mkdir("m/n", 0755, 0, 0);
    tree.createFile("m/n/f", 0644, 0, 0, true);
    assertThat(tree.resolve("m/n/f")).isPresent();
    tree.unlink("m/n/f");
    tree.rmdir("m/n");
    tree.rmdir("m");
    tree.createFile("m", 0644, 0, 0, true);
    assertThat(tree.resolve("m/n")).isEmpty();
    assertThat(tree.resolve("m/n/f")).isEmpty();
    assertThatThrownBy(() -> tree.createFile("m/n/f", 0644, 0, 0, true))
        .isInstanceOf(NotDirectoryException.class);
  }

  @Test
  void exchangeOfADirectoryAndAFileSwapsWhatLookupsSee() throws IOException {
    tree.createFile("dir2/new.txt", 0644, 0, 0, true);
    tree.createFile("plain", 0644, 0, 0, true);
    assertThat(tree.resolve("dir2/z.txt")).isPresent();
    tree.rename("plain", "dir2", Posix.RENAME_EXCHANGE);
    assertThat(tree.resolve("dir2").orElseThrow().isRegularFile()).isTrue();
    assertThat(tree.resolve("dir2/z.txt")).isEmpty(); // a file over a lower directory hides it
    assertThat(tree.resolve("plain/z.txt")).isPresent();
    assertThat(tree.resolve("plain/new.txt")).isPresent();
  }

  @Test
  void renameOfAParentForgetsTheDirectoriesBelowIt() throws IOException {
    tree.mkdir("a", 0755, 0, 0);
    tree.mkdir("a/b", 0755, 0, 0);
    tree.mkdir("a/b/c", 0755, 0, 0);
    tree.createFile("a/b/c/f", 0644, 0, 0, true);
    assertThat(tree.resolve("a/b/c/f")).isPresent();
    tree.rename("a/b", "top", 0);
    tree.mkdir("a/b", 0755, 0, 0);
    tree.createFile("a/b/c", 0644, 0, 0, true);
    assertThat(tree.resolve("a/b/c/f")).isEmpty();
    assertThatThrownBy(() -> tree.createFile("a/b/c/g", 0644, 0, 0, true))
        .isInstanceOf(NotDirectoryException.class);
    assertThat(tree.resolve("top/c/f")).isPresent();
  }
}
