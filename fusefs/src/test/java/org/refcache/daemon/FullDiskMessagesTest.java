package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client hears when the state root's disk is full: the failing file and the reason in words
 * ("No space left on device"), never a Java exception's name; and no temporary file left behind.
 */
class FullDiskMessagesTest {
  private ServiceFixture svc;
  private SmallDisk disk;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.prepare();
    disk = SmallDisk.mount(svc.root, "96m"); // detached by svc.close() with everything under its directory
    svc.startService();
  }

  @AfterEach
  void stop() throws Exception {
    svc.close();
  }

  private static void assertReadable(ServiceFixture.Run r, String path) {
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("No space left on device", path)
        .doesNotContain("Exception", "java.");
  }

  @Test
  void refsThatCannotBeSavedFailNamingTheStateFileAndLeaveNoTemporaryFile() throws Exception {
    disk.fill();

    ServiceFixture.Run r = svc.cli("new");

    assertReadable(r, svc.root.resolve(ServiceState.FILE).toString());
    assertThat(svc.root.resolve(ServiceState.FILE + ".tmp")).doesNotExist();
    disk.free();
    assertThat(svc.cli("new").exit()).as("works again once space is free").isZero();
  }

  @Test
  void anImportOnAFullDiskNamesWhatCouldNotBeWritten() throws Exception {
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "x".repeat(1 << 20))));
    disk.fill();

    ServiceFixture.Run r = svc.cli("import", tar.toString());

    assertReadable(r, svc.root.resolve("content/ingest").toString());
    disk.free();
    assertThat(svc.cli("import", tar.toString()).exit()).as("works again once space is free").isZero();
  }

  @Test
  void anImportThatRunsOutOfSpaceMidwayNamesTheFileItWasWriting() throws Exception {
    Path tar = svc.dir.resolve("l.tar");
    Files.write(tar, LayerTar.tar(LayerTar.oneFile("f", "x".repeat(4 << 20))));
    disk.fillBut(1 << 20);

    ServiceFixture.Run r = svc.cli("import", tar.toString());

    assertReadable(r, svc.root.resolve("content/ingest").toString());
    assertThat(r.err()).contains("/data: No space left on device");
  }
}
