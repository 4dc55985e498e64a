package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Descriptors;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Copy-ups of regular lower files are offered to listeners, which get a descriptor of the copy
 * after the mutation (so that readers of the lower file can follow it).
 */
class CopyUpListenerTest {

  @TempDir
  Path base;

  private Fixture fixture;
  private Path upper;
  private WritableOverlayTree tree;
  private final List<long[]> asked = new ArrayList<>();
  private final List<Stat> handed = new ArrayList<>();
  private long wanted;

  @BeforeEach
  void setUp() throws IOException {
    fixture = Fixture.create(base);
    upper = Files.createDirectory(base.resolve("upper"));
    tree = new WritableOverlayTree(upper, fixture.lowers());
    tree.addCopyUpListener(new CopyUpListener() {
      @Override
      public boolean wants(long dev, long ino) {
        asked.add(new long[] {dev, ino});
        return ino == wanted;
      }

      @Override
      public void copiedUp(long dev, long ino, int fd) {
        try {
          handed.add(statOfFd(fd));
        } catch (IOException e) {
          throw new RuntimeException(e);
        } finally {
          Descriptors.close(fd);
        }
      }
    });
  }

  private static Stat statOfFd(int fd) throws IOException {
    return Posix.lstat(Path.of(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString()));
  }

  @Test
  void theCopyOfAWantedLowerFileIsHandedOverOpenAfterTheMutation() throws IOException {
    Stat lower = Posix.lstat(fixture.bottom.resolve("a.txt"));
    wanted = lower.ino();
    tree.rename("a.txt", "dir1/moved", 0); // the copy moves within the mutation
    assertThat(handed).hasSize(1);
    assertThat(handed.get(0).ino()).isEqualTo(Posix.lstat(upper.resolve("dir1/moved")).ino());
    assertThat(asked).anyMatch(k -> k[0] == lower.dev() && k[1] == lower.ino());
  }

  @Test
  void unwantedCopiesAndNonRegularFilesAreNotOpened() throws IOException {
    wanted = -2;
    tree.copyUp("dir1/f1");
    tree.copyUp("fifo");
    tree.copyUp("dir2");
    assertThat(handed).isEmpty();
    assertThat(asked).hasSize(1); // only the regular file was offered
  }
}
