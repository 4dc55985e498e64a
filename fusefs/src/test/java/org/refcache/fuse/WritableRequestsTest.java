package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.testing.LayerBuilder;

/**
 * The requests the kernel sends for writes in a writable ref (kernel transport), counted by the
 * view: what the view takes on itself so that the kernel need not ask. Long timeouts keep expiring
 * attributes out of the counts.
 */
class WritableRequestsTest {

  @TempDir
  Path tmp;
  ViewFixture view;
  Path layer;
  FuseMount mount;

  @BeforeEach
  void setUp() throws IOException {
    view = new ViewFixture(tmp);
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("lower", "lower file");
    view.addWritable("w", layer);
  }

  private void mountWithLongTimeouts() throws IOException {
    mount = view.mount(FuseOptions.defaults().withTimeouts(Duration.ofMinutes(5),
        Duration.ofMinutes(5)));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  /**
   * Before every write the kernel must know whether the file has a capability to drop; with the
   * view dropping setuid/setgid itself (FUSE_HANDLE_KILLPRIV_V2) the mount is SB_NOSEC and the
   * kernel asks once per file, not once per write.
   */
  @Test
  void aFileWrittenTenTimesIsAskedForItsCapabilitiesAtMostOnce() throws IOException {
    mountWithLongTimeouts();
    Path file = view.ref("w").resolve("written");
    long before = mount.served(FuseKernel.GETXATTR);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      for (int i = 0; i < 10; i++) {
        out.write(ByteBuffer.wrap(("line " + i + "\n").getBytes(StandardCharsets.UTF_8)));
      }
    }
    assertThat(Files.readAllLines(file)).hasSize(10);
    assertThat(mount.served(FuseKernel.GETXATTR) - before).as("GETXATTR for 10 writes")
        .isLessThanOrEqualTo(1);
  }

  /**
   * A chown drops setuid/setgid: without the view taking that on, the kernel first fetches the
   * file's attributes (GETATTR) to work out the mode to send.
   */
  @Test
  void aChownIsOneRequestWithoutAskingForTheAttributesFirst() throws IOException {
    mountWithLongTimeouts();
    Path file = view.ref("w").resolve("lower");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.readAttributes(file, "unix:mode", LinkOption.NOFOLLOW_LINKS); // attributes fresh
    long getattrs = mount.served(FuseKernel.GETATTR);
    long setattrs = mount.served(FuseKernel.SETATTR);

    Files.setAttribute(file, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);

    assertThat(mount.served(FuseKernel.SETATTR) - setattrs).isEqualTo(1);
    assertThat(mount.served(FuseKernel.GETATTR) - getattrs).as("GETATTR for a chown").isZero();
    assertThat(Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(65534);
  }

  /**
   * With the daemon's options the kernel keeps a writable tree's attributes as long as names, not
   * for the one second libfuse needs: a file looked at again later costs no request.
   */
  @Test
  void aFileOfAWritableRefIsStattedAgainAfterASecondWithoutARequest() throws Exception {
    mount = view.mount(FuseOptions.defaults());
    Path file = view.ref("w").resolve("made");
    Files.writeString(file, "made here");
    Files.readAttributes(file, "unix:*", LinkOption.NOFOLLOW_LINKS);
    long getattrs = mount.served(FuseKernel.GETATTR);
    long lookups = mount.served(FuseKernel.LOOKUP);
    Thread.sleep(FuseOptions.DEFAULT_ATTR_TIMEOUT.toMillis() + 300); // libfuse's bound has passed

    assertThat(Files.size(file)).isEqualTo(9);
    assertThat(mount.served(FuseKernel.GETATTR) - getattrs).as("GETATTR").isZero();
    assertThat(mount.served(FuseKernel.LOOKUP) - lookups).as("LOOKUP").isZero();
  }

  /**
   * Kept attributes are per ref: two writable refs over the same lower file show it apart, and a
   * change through one (a copy-up, then a longer file) shows at once through it and never through
   * the other, whose attributes the kernel also keeps.
   */
  @Test
  void aChangeThroughOneRefShowsThereAtOnceAndNeverThroughAnother() throws IOException {
    view.addWritable("other", layer);
    mount = view.mount(FuseOptions.defaults());
    Path here = view.ref("w").resolve("lower");
    Path there = view.ref("other").resolve("lower");
    assertThat(Files.size(here)).isEqualTo(10);
    assertThat(Files.size(there)).isEqualTo(10);

    Files.writeString(here, " and more", StandardOpenOption.APPEND);
    Files.setLastModifiedTime(here, java.nio.file.attribute.FileTime.fromMillis(1000));

    assertThat(Files.size(here)).isEqualTo(19);
    assertThat(Files.getLastModifiedTime(here).toMillis()).isEqualTo(1000);
    assertThat(Files.readString(here)).isEqualTo("lower file and more");
    assertThat(Files.size(there)).isEqualTo(10);
    assertThat(Files.getLastModifiedTime(there).toMillis()).isNotEqualTo(1000);
    assertThat(Files.readString(there)).isEqualTo("lower file");
  }
}
