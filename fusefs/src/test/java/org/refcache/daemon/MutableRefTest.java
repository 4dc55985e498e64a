package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.protocol.ControlProtocol;

/** {@code refcache new}, writes through the mount, {@code commit} and {@code release}, on a real service. */
class MutableRefTest {
  private ServiceFixture svc;
  private String base;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
    Path layer = svc.dir.resolve("base.tar");
    Files.write(layer, LayerTar.tar(LayerTar.oneFile("keep.txt", "from the base\n")));
    Files.write(svc.dir.resolve("two.tar"), LayerTar.tar(java.util.List.of(
        LayerTar.oneFile("edit.txt", "old\n").get(0), LayerTar.oneFile("gone.txt", "delete me\n").get(0))));
    String lower = svc.ok("import", layer.toString());
    base = svc.ok("import", "--parent", lower, svc.dir.resolve("two.tar").toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  private JsonNode info(String id) throws Exception {
    return ControlProtocol.JSON.readTree(svc.ok("info", "--format", "json", id));
  }

  private static void assertReadOnly(Path file) {
    assertThatThrownBy(() -> Files.writeString(file, "no"))
        .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
  }

  @Test
  void writesThroughTheMountShowInTheCommittedRefAndBothTreesAreReadOnlyAfterCommit() throws Exception {
    String mutable = svc.ok("new", "--parent", base, "--description", "build step");
    Path tree = svc.tree(mutable);
    assertThat(Files.readString(tree.resolve("keep.txt"))).isEqualTo("from the base\n");

    Files.writeString(tree.resolve("new.txt"), "written\n");
    Files.writeString(tree.resolve("edit.txt"), "new\n");
    Files.delete(tree.resolve("gone.txt"));
    Files.createDirectories(tree.resolve("dir/sub"));
    Files.writeString(tree.resolve("dir/sub/file"), "deep\n");

    String committed = svc.ok("commit", mutable);

    assertThat(committed).isNotEqualTo(mutable).matches("[0-9a-z]{25}");
    assertReadOnly(tree.resolve("new.txt"));
    assertReadOnly(tree.resolve("another.txt"));
    Path twin = svc.tree(committed);
    assertThat(Files.readString(twin.resolve("new.txt"))).isEqualTo("written\n");
    assertThat(Files.readString(twin.resolve("edit.txt"))).isEqualTo("new\n");
    assertThat(Files.readString(twin.resolve("keep.txt"))).isEqualTo("from the base\n");
    assertThat(Files.readString(twin.resolve("dir/sub/file"))).isEqualTo("deep\n");
    assertThat(twin.resolve("gone.txt")).doesNotExist();
    assertReadOnly(twin.resolve("new.txt"));
    assertReadOnly(twin.resolve("other.txt"));
    JsonNode twinInfo = info(committed);
    assertThat(twinInfo.path("mutable").asBoolean()).isFalse();
    assertThat(twinInfo.path("held").asBoolean()).isTrue();
    assertThat(twinInfo.path("description").asText()).isEqualTo("build step");
  }

  @Test
  void importedLayersAreReadOnly() throws Exception {
    assertReadOnly(svc.tree(base).resolve("edit.txt"));
    assertReadOnly(svc.tree(base).resolve("brand-new.txt"));
  }

  @Test
  void newWithoutParentStartsEmptyAndWritable() throws Exception {
    String id = svc.ok("new");
    Path tree = svc.tree(id);
    try (var s = Files.list(tree)) {
      assertThat(s).isEmpty();
    }
    Files.writeString(tree.resolve("a"), "a");
    assertThat(Files.readString(tree.resolve("a"))).isEqualTo("a");
    assertThat(info(id).path("mutable").asBoolean()).isTrue();
  }

  @Test
  void committingTwiceIsLockedAndReleasingTheCommittedMutableIdReleasesTheTwinOnce() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    String committed = svc.ok("commit", mutable);

    ServiceFixture.Run again = svc.cli("commit", mutable);
    assertThat(again.exit()).isEqualTo(4);
    assertThat(again.err()).contains("already committed as " + committed);
    svc.ok("release", mutable);
    assertThat(info(committed).path("held").asBoolean()).isFalse();
    ServiceFixture.Run twice = svc.cli("release", mutable);
    assertThat(twice.exit()).isEqualTo(3);
    assertThat(twice.err()).contains(committed);
  }

  /** docs/ARCHITECTURE.md, commit: the mutable's ID keeps working, standing for the twin. */
  @Test
  void theMutableIdStandsForItsTwinAfterCommitInEveryCommand() throws Exception {
    String mutable = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(mutable).resolve("made.txt"), "made\n");
    String committed = svc.ok("commit", mutable);

    assertThat(info(mutable).path("id").asText()).isEqualTo(committed);
    assertThat(Path.of(svc.ok("path", mutable))).isEqualTo(svc.tree(mutable));
    assertThat(Files.readString(svc.tree(mutable).resolve("made.txt"))).isEqualTo("made\n");
    // A commit has no layer blob (yet): its file list is empty, the mutable's ID answers the same.
    assertThat(svc.cli("files", mutable)).isEqualTo(svc.cli("files", committed));
    String child = svc.ok("new", "--parent", mutable);
    assertThat(info(child).path("parents").get(0).asText()).isEqualTo(committed);
    // A layer on a commit: the commit gets its layer blob first (spec 6.4); both IDs give the same layer.
    String imported = svc.ok("import", "--parent", mutable, svc.dir.resolve("two.tar").toString());
    assertThat(svc.ok("import", "--parent", committed, svc.dir.resolve("two.tar").toString())).isEqualTo(imported);
    assertThat(svc.ok("files", committed)).isEqualTo(svc.ok("files", mutable)).contains("made.txt");
    assertThat(Files.readString(svc.tree(imported).resolve("made.txt"))).isEqualTo("made\n");
    assertThat(Files.readString(svc.tree(imported).resolve("gone.txt"))).isEqualTo("delete me\n");
    Path dir = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", "--readonly", mutable, dir.toString());
    assertThat(Files.readString(dir.resolve("made.txt"))).isEqualTo("made\n");
    assertThat(info(committed).path("mounts").get(0).asText()).isEqualTo(dir.toString());
    svc.ok("umount", dir.toString());
    assertThat(svc.ok("ls")).doesNotContain(mutable);

    svc.ok("release", mutable);

    assertThat(info(committed).path("held").asBoolean()).isFalse();
    assertThat(info(mutable).path("id").asText()).as("the twin lives on").isEqualTo(committed);
    assertThat(Files.readString(svc.tree(mutable).resolve("made.txt"))).isEqualTo("made\n");
  }

  @Test
  void aCommittedRefOutlivesTheReleaseOfTheServicesHandleUnread() throws Exception {
    String mutable = svc.ok("new");
    Files.writeString(svc.tree(mutable).resolve("f"), "kept");
    String committed = svc.ok("commit", mutable);

    svc.ok("release", committed);

    assertThat(svc.cli("info", committed).exit()).isEqualTo(0);
    assertThat(Files.readString(svc.tree(committed).resolve("f"))).isEqualTo("kept");
  }

  @Test
  void releasingANewRefWithoutRetainDeletesIt() throws Exception {
    String id = svc.ok("new", "--parent", base);
    Files.writeString(svc.tree(id).resolve("x"), "x");

    svc.ok("release", id);

    assertThat(svc.cli("info", id).exit()).isEqualTo(3);
    assertThat(svc.cli("release", id).exit()).isEqualTo(3);
  }

  @Test
  void releasingARetainedNewRefKeepsItsRecord() throws Exception {
    String id = svc.ok("new", "--retain");

    svc.ok("release", id);

    JsonNode i = info(id);
    assertThat(i.path("retain").asBoolean()).isTrue();
    assertThat(i.path("held").asBoolean()).isFalse();
  }

  @Test
  void aMutableRefCannotBeAParentUntilCommitted() throws Exception {
    String mutable = svc.ok("new", "--parent", base);

    ServiceFixture.Run r = svc.cli("new", "--parent", mutable);

    assertThat(r.exit()).isEqualTo(4);
    String committed = svc.ok("commit", mutable);
    String child = svc.ok("new", "--parent", mutable);
    assertThat(info(child).path("parents").get(0).asText()).isEqualTo(committed);
  }
}
