package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.core.cache.CacheConfig;
import org.refcache.core.cache.CacheManager;
import org.refcache.core.cache.MutableRef;
import org.refcache.core.content.ContentStore;
import org.refcache.core.meta.LmdbEnvironment;
import org.refcache.core.meta.MetadataStore;
import org.refcache.core.meta.Value;
import org.refcache.fuse.MountTable;
import org.refcache.testing.Mounts;

/** A restart of the service keeps every ref and handle it held, and its bind mounts. */
class RestartTest {
  private ServiceFixture svc;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  @Test
  void restartKeepsImportedRefsAndMutableRefsStayWritable() throws Exception {
    List<LayerTar.Entry> entries = LayerTar.everyKind();
    Path tar = svc.dir.resolve("layer.tar.zst");
    Files.write(tar, LayerTar.compress(LayerTar.tar(entries), org.refcache.core.layer.Compression.ZSTD));
    String imported = svc.ok("import", tar.toString());
    String lazy = svc.ok("import", "--parent", imported, writeLayer("lazy.tar", "lazy.txt", "still lazy\n"));
    String mutable = svc.ok("new", "--parent", imported);
    Files.writeString(svc.tree(mutable).resolve("before.txt"), "before restart\n");

    svc.restart();

    TreeAssertions.assertTreeMatches(svc.tree(imported), entries);
    assertThat(svc.info(lazy).path("blobOnly").asBoolean()).as("lazy ref stays lazy across the restart").isTrue();
    assertThat(Files.readString(svc.tree(lazy).resolve("lazy.txt"))).isEqualTo("still lazy\n");
    Path tree = svc.tree(mutable);
    assertThat(Files.readString(tree.resolve("before.txt"))).isEqualTo("before restart\n");
    Files.writeString(tree.resolve("after.txt"), "after restart\n");
    assertThat(svc.info(mutable).path("held").asBoolean()).isTrue();
    assertThat(svc.info(imported).path("held").asBoolean()).isTrue();
    String committed = svc.ok("commit", mutable);
    assertThat(Files.readString(svc.tree(committed).resolve("after.txt"))).isEqualTo("after restart\n");
    assertThat(Files.readString(svc.tree(committed).resolve("before.txt"))).isEqualTo("before restart\n");
  }

  @Test
  void restartKeepsACommittedRefAndReleasesNothing() throws Exception {
    String mutable = svc.ok("new");
    Files.writeString(svc.tree(mutable).resolve("f"), "committed\n");
    String committed = svc.ok("commit", mutable);

    svc.restart();

    assertThat(Files.readString(svc.tree(committed).resolve("f"))).isEqualTo("committed\n");
    assertThat(svc.info(committed).path("held").asBoolean()).isTrue();
    svc.ok("release", committed);
    assertThat(svc.info(committed).path("held").asBoolean()).isFalse();
  }

  /** docs/ARCHITECTURE.md, commit: the mutable's ID stands for its twin across a restart too. */
  @Test
  void theMutableIdStandsForItsTwinAfterARestart() throws Exception {
    String layer = svc.ok("import", writeLayer("l.tar", "hello", "hi\n"));
    String mutable = svc.ok("new", "--parent", layer);
    Files.writeString(svc.tree(mutable).resolve("made"), "made\n");
    String committed = svc.ok("commit", mutable);

    svc.restart();

    assertThat(svc.info(mutable).path("id").asText()).isEqualTo(committed);
    assertThat(Files.readString(Path.of(svc.ok("path", mutable)).resolve("made"))).isEqualTo("made\n");
    assertThat(svc.cli("files", mutable)).isEqualTo(svc.cli("files", committed));
    String child = svc.ok("new", "--parent", mutable);
    assertThat(svc.info(child).path("parents").get(0).asText()).isEqualTo(committed);
    Path dir = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", "--readonly", mutable, dir.toString());
    assertThat(Files.readString(dir.resolve("hello"))).isEqualTo("hi\n");
    svc.ok("umount", dir.toString());
    svc.ok("release", mutable);
    assertThat(svc.info(committed).path("held").asBoolean()).isFalse();
    svc.restart();
    assertThat(svc.info(mutable).path("id").asText()).as("until the twin goes, not until release").isEqualTo(committed);
  }

  /**
   * A daemon killed after it recorded a commit but before it finalized it (the state names the twin and
   * the mutable's ID; the twin still links to the mutable): the next start finalizes it, so the twin owns
   * the data and releasing it cannot take the data along.
   */
  @Test
  void aCommitRecordedButNotFinalizedIsFinalizedAtTheNextStart() throws Exception {
    String mutable = svc.ok("new");
    Files.writeString(svc.tree(mutable).resolve("f"), "committed\n");
    svc.stopService();
    String twin;
    try (CacheManager cm = CacheManager.open(CacheConfig.at(svc.root))) {
      MutableRef m = cm.getMutable(mutable);
      twin = m.commit().id(); // the daemon's commit up to the state write, whose handles died with it
    }
    Files.writeString(svc.root.resolve(ServiceState.FILE), "{\"version\":1,\"immutables\":[\"" + twin
        + "\"],\"mutables\":[],\"mounts\":[],\"committed\":[{\"mutable\":\"" + mutable + "\",\"twin\":\""
        + twin + "\"}]}");

    svc.startService();

    assertThat(svc.ok("ls")).contains(twin).doesNotContain(mutable);
    assertThat(svc.info(mutable).path("id").asText()).isEqualTo(twin);
    svc.ok("release", twin);
    assertThat(Files.readString(svc.tree(twin).resolve("f"))).isEqualTo("committed\n");
    svc.restart();
    assertThat(Files.readString(svc.tree(mutable).resolve("f"))).isEqualTo("committed\n");
  }

  /**
   * A power cut may take the newest LMDB writes along, such as the use a release counted. A released
   * import must still not be taken for one a killed daemon left: it was made before the held state was
   * last written.
   */
  @Test
  void aReleasedImportWhoseUseCountWasLostStaysAfterARestart() throws Exception {
    String id = svc.ok("import", writeLayer("released.tar", "kept", "kept\n"));
    java.time.Instant created = java.time.Instant.parse(svc.info(id).path("createdAt").asText());
    svc.ok("release", id);
    svc.stopService();
    List<String> dbs = new ArrayList<>(MetadataStore.DATABASES);
    dbs.add(ContentStore.DATABASE);
    try (LmdbEnvironment env = LmdbEnvironment.open(svc.root.resolve("meta"), dbs)) {
      new MetadataStore(env).get(id).setValue("cache.usageCount", Value.of(0L));
    }
    // The release's write a moment after the import, stamped by the kernel's coarse clock: a tick
    // behind the clock that stamped the record.
    Files.setLastModifiedTime(svc.root.resolve(ServiceState.FILE),
        java.nio.file.attribute.FileTime.from(created.minusMillis(4)));

    svc.startService();

    assertThat(svc.info(id).path("usageCount").asInt()).as("the lost write").isZero();
    assertThat(svc.info(id).path("held").asBoolean()).isFalse();
    assertThat(Files.readString(svc.tree(id).resolve("kept"))).isEqualTo("kept\n");
  }

  @Test
  void restartRemakesBindMounts() throws Exception {
    String layer = svc.ok("import", writeLayer("l.tar", "hello", "hi\n"));
    String mutable = svc.ok("new", "--parent", layer);
    Path ro = Files.createDirectories(svc.dir.resolve("ro"));
    Path rw = Files.createDirectories(svc.dir.resolve("rw"));
    svc.ok("mount", "--readonly", layer, ro.toString());
    svc.ok("mount", mutable, rw.toString());

    svc.stopService();
    assertThat(Mounts.under(svc.dir)).as("a stopped service leaves no mount").isEmpty();
    svc.startService();

    assertThat(Files.readString(ro.resolve("hello"))).isEqualTo("hi\n");
    Files.writeString(rw.resolve("written"), "through the bind mount\n");
    assertThat(Files.readString(svc.tree(mutable).resolve("written"))).isEqualTo("through the bind mount\n");
    svc.ok("umount", ro.toString());
    svc.ok("umount", rw.toString());
    assertThat(MountTable.isMountPoint(ro)).isFalse();
  }

  private String writeLayer(String name, String path, String content) throws Exception {
    Path f = svc.dir.resolve(name);
    Files.write(f, LayerTar.tar(LayerTar.oneFile(path, content)));
    return f.toString();
  }
}
