package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Posix;
import org.slf4j.LoggerFactory;

/**
 * The state root and the mountpoint are the service's alone: made 0700, an open root the service owns
 * closed, and a view or root that other users can walk to warned about at start.
 */
class PrivateDirectoriesTest {
  private static final int NOBODY = 65534;

  @TempDir
  Path tmp;
  private ServiceFixture svc;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(PrivateDirectories.class);

  @BeforeEach
  void listen() {
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void stop() throws Exception {
    logger.detachAppender(log);
    if (svc != null) {
      svc.close();
    }
  }

  private List<String> warnings() {
    return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void theServiceCreatesTheRootAndTheMountpointOwnerOnly() throws Exception {
    svc = ServiceFixture.prepare();
    svc.startService();
    assertThat(mode(svc.root)).isEqualTo("rwx------");
    svc.stopService(); // the mountpoint's own mode shows once the view is gone

    assertThat(mode(svc.mountpoint)).isEqualTo("rwx------");
    assertThat(warnings()).isEmpty();
  }

  @Test
  void anOpenRootTheServiceOwnsIsClosedAtStart() throws Exception {
    svc = ServiceFixture.prepare();
    Files.createDirectory(svc.root);
    Files.setPosixFilePermissions(svc.root, PosixFilePermissions.fromString("rwxr-xr-x"));

    svc.startService();

    assertThat(mode(svc.root)).isEqualTo("rwx------");
    assertThat(warnings()).singleElement().asString().contains(svc.root.toString(), "0755");
  }

  @Test
  void anOpenRootOfAnotherUserIsLeftAsItIsAndWarnedAbout() throws Exception {
    svc = ServiceFixture.prepare();
    Files.createDirectory(svc.root);
    Files.setPosixFilePermissions(svc.root, PosixFilePermissions.fromString("rwxr-xr-x"));
    Posix.lchown(svc.root, NOBODY, NOBODY);

    svc.startService();

    assertThat(mode(svc.root)).isEqualTo("rwxr-xr-x");
    assertThat(warnings()).anySatisfy(w -> assertThat(w).contains(svc.root.toString(), "owned by uid 65534"));
  }

  @Test
  void aViewOtherUsersCanWalkToIsWarnedAbout() throws Exception {
    svc = ServiceFixture.prepare();
    Files.setPosixFilePermissions(svc.dir, PosixFilePermissions.fromString("rwx--x--x"));

    svc.startService();

    assertThat(warnings()).singleElement().asString()
        .contains("view at " + svc.mountpoint, "reachable by other users", "nosuid,nodev");
  }

  @Test
  void oneClosedDirectoryOnTheWayMakesADirectoryUnreachable() throws Exception {
    Path open = Files.createDirectories(tmp.resolve("open/deeper"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(tmp.resolve("open"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwx------"));
    assertThat(PrivateDirectories.reachableByOthers(tmp)).contains(tmp.toRealPath());
    assertThat(PrivateDirectories.reachableByOthers(tmp.resolve("open"))).isPresent();
    assertThat(PrivateDirectories.reachableByOthers(open)).isEmpty();

    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
    assertThat(PrivateDirectories.reachableByOthers(tmp.resolve("open"))).isEmpty();
    Posix.lchown(tmp.resolve("open"), NOBODY, NOBODY);
    assertThat(PrivateDirectories.reachableByOthers(tmp.resolve("open")))
        .as("below a directory only root may pass").isEmpty();
  }

  @Test
  void aDirectoryOwnedByAnotherUserLetsThatUserThrough() throws Exception {
    Path theirs = Files.createDirectories(tmp.resolve("theirs"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwx------"));
    Posix.lchown(theirs, NOBODY, NOBODY);

    assertThat(PrivateDirectories.reachableByOthers(theirs)).isPresent();
  }
}
