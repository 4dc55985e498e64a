package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.LayerLimits;
import org.refcache.posix.Errno;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Posix;

/**
 * A lazy layer whose unpack fails, through the real mount: here a layer imported under the default
 * limits and read by a service restarted with a lower entry limit. The first access unpacks and
 * fails with EIO, the next ones fail at once without unpacking again (counted from the cache's
 * "unpacking layer" log line), {@code refcache info} shows why, and a restart with the limit raised
 * unpacks it.
 */
class PoisonedLayerTest {
  private ServiceFixture svc;
  private UnpackAttempts unpacks;

  @BeforeEach
  void start() throws IOException {
    svc = ServiceFixture.start();
    unpacks = UnpackAttempts.watch();
  }

  @AfterEach
  void stop() throws IOException {
    unpacks.close();
    if (svc != null) {
      svc.close();
    }
  }

  private static int errnoOf(Path p) {
    try {
      Posix.lstat(p);
      return 0;
    } catch (IOException e) {
      return ErrnoMapper.toErrno(e);
    }
  }

  @Test
  void aFailedLazyUnpackIsAnsweredAtOnceUntilTheServiceRestartsAndInfoSaysWhy() throws Exception {
    Path layer = svc.dir.resolve("three.tar");
    Files.write(layer, LayerTar.rawTar("a", 1, "b", 1, "c", 1));
    String id = svc.ok("import", layer.toString());
    String diffId = svc.info(id).path("diffId").asText();
    svc.layerLimits(LayerLimits.DEFAULTS.withMaxEntries(2)).restart();

    assertThat(errnoOf(svc.tree(id).resolve("a"))).as("first access").isEqualTo(Errno.EIO);
    assertThat(errnoOf(svc.tree(id).resolve("b"))).as("second access").isEqualTo(Errno.EIO);
    assertThat(errnoOf(svc.tree(id).resolve("a"))).as("third access").isEqualTo(Errno.EIO);
    assertThat(unpacks.of(diffId)).as("unpack attempts").isEqualTo(1);

    String why = "more than 2 entries (max-layer-entries), at entry \"c\"";
    assertThat(svc.info(id).path("unpackError").asText()).contains("cannot unpack layer " + diffId, why,
        "not tried again before the service restarts");
    assertThat(svc.ok("info", id)).containsPattern("(?m)^unpackError: +cannot unpack layer .*"
        + java.util.regex.Pattern.quote(why));
    assertThat(svc.info(id).path("blobOnly").asBoolean()).isTrue();

    svc.layerLimits(LayerLimits.DEFAULTS).restart();
    assertThat(svc.info(id).path("unpackError").isNull()).as("after the restart").isTrue();
    assertThat(Files.size(svc.tree(id).resolve("c"))).isEqualTo(1);
    assertThat(unpacks.of(diffId)).as("unpack attempts after the restart").isEqualTo(2);
  }
}
