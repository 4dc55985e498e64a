package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy-up is invisible: the directories it copies and the directory it renames a copy into keep
 * the ctime they showed (ext4 changes no directory's ctime when a file's content changes), until
 * they change for real.
 */
class CopyUpCtimeTest {

  @TempDir
  Path base;

  private WritableOverlayTree tree;

  @BeforeEach
  void setUp() throws IOException {
    Fixture fixture = Fixture.create(base);
    tree = new WritableOverlayTree(Files.createDirectory(base.resolve("upper")),
        fixture.lowers());
  }

  /** The ctime the union reports for {@code path}. */
  private Instant ctime(String path) throws IOException {
    return tree.attributes(path).orElseThrow().ctime();
  }

  @Test
  void directoriesCopiedUpForAFileKeepTheirCtime() throws IOException, InterruptedException {
    Instant dir = ctime("lowdir/a/b");
    Instant grandparent = ctime("lowdir");
    Thread.sleep(5); // a later real ctime must be distinguishable

    tree.truncate("lowdir/a/b/leaf", 0);

    assertThat(tree.resolve("lowdir/a/b").orElseThrow().isUpper()).isTrue();
    assertThat(ctime("lowdir/a/b")).isEqualTo(dir);
    assertThat(ctime("lowdir")).isEqualTo(grandparent);
  }

  @Test
  void aDirectoryThatChangesAfterItsCopyUpReportsItsNewCtime()
      throws IOException, InterruptedException {
    Instant before = ctime("lowdir/a/b");
    Thread.sleep(5);
    tree.truncate("lowdir/a/b/leaf", 0);
    assertThat(ctime("lowdir/a/b")).isEqualTo(before);

    tree.chmod("lowdir/a/b", 0700);

    assertThat(ctime("lowdir/a/b")).isAfter(before);
  }

  @Test
  void aFileCopiedUpWithoutChangeKeepsItsCtimeAndAChangeMovesIt()
      throws IOException, InterruptedException {
    Instant before = ctime("dir1/f1");
    Thread.sleep(5);

    tree.chown("dir1/f1", -1, -1); // copy-up; ext4 moves the ctime of a chown(-1, -1)

    assertThat(ctime("dir1/f1")).isAfter(before);
    Instant parent = ctime("dir1");
    Thread.sleep(5);
    tree.truncate("dir1/f2", 1);
    assertThat(ctime("dir1")).isEqualTo(parent);
  }
}
