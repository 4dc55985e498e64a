package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Xattrs;

/**
 * What the tree knows of entries it made ({@link MadeEntries}): that they have no
 * {@code security.capability}, asked again as soon as one could have been set (through the path,
 * through another name of the file, or by another file taking the path); and that they are in
 * the upper, so attribute changes skip the lookup, until the name goes (a whiteout may then be
 * at the path in the upper, which those changes must never touch).
 */
class MadeEntriesTest extends WritableTreeFixture {

  private static final String CAPABILITY = "security.capability";

  /** A version 2 file capability: cap_net_bind_service permitted. */
  private static byte[] capability() {
    return ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(0x02000000).putInt(1 << 10).putInt(0).putInt(0).putInt(0).array();
  }

  @Test
  void aFileMadeHereIsKnownToHaveNoCapabilityWithoutAskingTheUpper() throws IOException {
    tree.createFile("made", 0755, 0, 0, true);
    // Behind the tree's back (the tree is the upper's only writer): not asked, so not seen.
    Xattrs.lsetxattr(upper.resolve("made"), CAPABILITY, capability(), 0);
    assertThat(tree.getXattr("made", CAPABILITY)).isEmpty();
    assertThat(tree.getXattr("made", "user.other")).as("other names are asked").isEmpty();
  }

  @Test
  void aCapabilitySetThroughTheTreeIsSeen() throws IOException {
    tree.createFile("made", 0755, 0, 0, true);
    assertThat(tree.getXattr("made", CAPABILITY)).isEmpty();
    tree.setXattr("made", CAPABILITY, capability(), 0);
    assertThat(tree.getXattr("made", CAPABILITY)).hasValueSatisfying(
        v -> assertThat(v).isEqualTo(capability()));
  }

  @Test
  void aCapabilitySetThroughAnotherNameOfTheFileIsSeenThroughTheFirst() throws IOException {
    tree.createFile("first", 0755, 0, 0, true);
    assertThat(tree.getXattr("first", CAPABILITY)).isEmpty();
    tree.link("first", "second");
    tree.setXattr("second", CAPABILITY, capability(), 0);
    assertThat(tree.getXattr("first", CAPABILITY)).isPresent();
    assertThat(tree.getXattr("second", CAPABILITY)).isPresent();
  }

  @Test
  void aFileRenamedOverAMadeOneShowsItsCapability() throws IOException {
    tree.createFile("capped", 0755, 0, 0, true);
    tree.setXattr("capped", CAPABILITY, capability(), 0);
    tree.createFile("plain", 0755, 0, 0, true);
    assertThat(tree.getXattr("plain", CAPABILITY)).isEmpty();
    tree.rename("capped", "plain", 0);
    assertThat(tree.getXattr("plain", CAPABILITY)).isPresent();
  }

  @Test
  void filesBelowARenamedDirectoryAreAskedAgain() throws IOException {
    tree.mkdir("d", 0755, 0, 0);
    tree.createFile("d/f", 0755, 0, 0, true);
    assertThat(tree.getXattr("d/f", CAPABILITY)).isEmpty();
    tree.mkdir("e", 0755, 0, 0);
    tree.createFile("e/f", 0755, 0, 0, true);
    tree.setXattr("e/f", CAPABILITY, capability(), 0);
    tree.rename("d", "gone", 0);
    tree.rename("e", "d", 0);
    assertThat(tree.getXattr("d/f", CAPABILITY)).isPresent();
  }

  @Test
  void chmodOfASymlinkMadeHereFailsAndLeavesItsTargetAlone() throws IOException {
    tree.createFile("target", 0644, 0, 0, true);
    tree.symlink("target", "made-link", 0, 0);
    assertThatThrownBy(() -> tree.chmod("made-link", 0600))
        .hasMessageContaining("EOPNOTSUPP");
    assertThat(Posix.lstat(upper.resolve("target")).permissions()).isEqualTo(0644);
    tree.chmod("target", 0600); // made, not a symlink: no lookup
    assertThat(Posix.lstat(upper.resolve("target")).permissions()).isEqualTo(0600);
  }

  /** A name made over a lower one, then removed: a whiteout is in the upper at its path. */
  private void madeOverLowerThenGone(boolean renamed) throws IOException {
    tree.unlink("a.txt");
    tree.createFile("a.txt", 0644, 0, 0, true);
    tree.chown("a.txt", 1000, 1000); // made: no lookup
    assertThat(Posix.lstat(upper.resolve("a.txt")).uid()).isEqualTo(1000);
    if (renamed) {
      tree.rename("a.txt", "moved.txt", 0);
    } else {
      tree.unlink("a.txt");
    }
    assertThat(OverlayFormat.isWhiteout(Posix.lstat(upper.resolve("a.txt")))).isTrue();
  }

  @Test
  void attributeChangesOfAnUnlinkedMadeNameFailAndLeaveItsWhiteoutAlone() throws IOException {
    madeOverLowerThenGone(false);
    Stat whiteout = Posix.lstat(upper.resolve("a.txt"));
    assertThatThrownBy(() -> tree.chmod("a.txt", 0777)).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> tree.chown("a.txt", 0, 0)).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> tree.utimens("a.txt", Instant.EPOCH, Instant.EPOCH))
        .isInstanceOf(NoSuchFileException.class);
    Stat after = Posix.lstat(upper.resolve("a.txt"));
    assertThat(after.mode()).isEqualTo(whiteout.mode());
    assertThat(after.uid()).isEqualTo(whiteout.uid());
    assertThat(after.mtime()).isEqualTo(whiteout.mtime());
  }

  @Test
  void attributeChangesOfARenamedMadeNameFailAndLeaveItsWhiteoutAlone() throws IOException {
    madeOverLowerThenGone(true);
    assertThatThrownBy(() -> tree.chmod("a.txt", 0777)).isInstanceOf(NoSuchFileException.class);
    assertThat(Posix.lstat(upper.resolve("a.txt")).permissions()).isZero();
    tree.chmod("moved.txt", 0600);
    assertThat(Posix.lstat(upper.resolve("moved.txt")).permissions()).isEqualTo(0600);
  }
}
