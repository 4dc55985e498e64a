package org.refcache.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.refcache.posix.Xattrs;

/**
 * {@code security.capability} of entries the tree made ({@link UncappedEntries}): known missing
 * without asking the upper, and asked again as soon as one could have been set: through the path,
 * through another name of the file, or by another file taking the path.
 */
class UncappedEntriesTest extends WritableTreeFixture {

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
}
