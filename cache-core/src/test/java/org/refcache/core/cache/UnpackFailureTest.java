package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.core.layer.LayerLimits;
import org.refcache.core.layer.MediaTypes;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import org.slf4j.LoggerFactory;

/**
 * A lazy layer whose unpack fails is not unpacked again on every access: the failure is recorded
 * with its blob, answered at once, shown by {@code info}, and forgotten only when its cause can
 * have changed. Unpack attempts are counted from the manager's "unpacking layer" log line.
 */
class UnpackFailureTest {
  @TempDir
  Path dir;
  Path root;
  CacheManager cm;
  UnpackLog log;

  @BeforeEach
  void setUp() {
    root = dir.resolve("root");
    log = UnpackLog.start();
  }

  @AfterEach
  void tearDown() {
    log.close();
    if (cm != null) {
      cm.close();
    }
  }

  private void open(LayerLimits limits) throws IOException {
    if (cm != null) {
      cm.close();
    }
    cm = CacheManager.open(CacheConfig.at(root).withLayerLimits(limits));
  }

  /** How often the manager started to unpack the layer {@code diffId}. */
  private long unpackAttempts(Digest diffId) {
    return log.unpacks(diffId);
  }

  /** A gzipped tar of regular files; names are kept as given ({@code ../evil} included). */
  private static Layers.Blob gzippedTar(String... namesAndSizes) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      for (int i = 0; i < namesAndSizes.length; i += 2) {
        TarArchiveEntry e = new TarArchiveEntry(namesAndSizes[i], true);
        int size = Integer.parseInt(namesAndSizes[i + 1]);
        e.setSize(size);
        tar.putArchiveEntry(e);
        tar.write(new byte[size]);
        tar.closeArchiveEntry();
      }
    }
    byte[] t = bytes.toByteArray();
    byte[] gz = Layers.gzip(t);
    return new Layers.Blob(gz, Descriptor.layer(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(gz),
        gz.length, Digest.sha256(t)));
  }

  private static Digest diffIdOf(Layers.Blob blob) {
    return Digest.parse(blob.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
  }

  private String lazyRef(Layers.Blob blob) throws IOException {
    blob.store(cm.contentStore());
    try (ImmutableRef ref = cm.getByBlob(blob.desc(), null)) {
      assertThat(ref.isBlobOnly()).isTrue();
      return ref.id();
    }
  }

  /** Mounts {@code id} read-only as the FUSE view does; returns the failure, or null. */
  private LayerUnpackException mountFailure(String id) {
    try (ImmutableRef ref = cm.get(id, RefOptions.noUpdateLastUsed())) {
      ref.mount(true);
      return null;
    } catch (LayerUnpackException e) {
      return e;
    }
  }

  @Test
  void anUnsafeLayerIsUnpackedOnceThenRefusedAtOnceAcrossRestartsUntilStoredAgain()
      throws IOException {
    open(LayerLimits.DEFAULTS);
    Layers.Blob blob = gzippedTar("ok", "10", "../evil", "1");
    Digest diffId = diffIdOf(blob);
    String id = lazyRef(blob);

    LayerUnpackException first = mountFailure(id);
    assertThat(first).isNotNull();
    assertThat(first.errno()).isEqualTo(Errno.EIO);
    assertThat(first.getMessage()).contains("cannot unpack layer " + diffId, id,
        "unsafe layer entry \"../evil\"");
    LayerUnpackException second = mountFailure(id);
    assertThat(second).isNotNull().hasMessageContaining("unsafe layer entry \"../evil\"")
        .hasMessageContaining("not tried again unless the blob is fetched or imported again");
    assertThat(unpackAttempts(diffId)).as("unpack attempts").isEqualTo(1);
    assertThat(cm.info(id).unpackError()).contains("unsafe layer entry \"../evil\"");

    open(LayerLimits.DEFAULTS); // a restart does not change the bytes
    assertThat(mountFailure(id)).isNotNull();
    assertThat(cm.info(id).unpackError()).contains("unsafe layer entry \"../evil\"");
    assertThat(unpackAttempts(diffId)).as("unpack attempts after a restart").isEqualTo(1);

    cm.forgetUnpackFailure(blob.digest()); // what an import of the same bytes does
    assertThat(cm.info(id).unpackError()).isNull();
    assertThat(mountFailure(id)).isNotNull();
    assertThat(unpackAttempts(diffId)).as("unpack attempts once stored again").isEqualTo(2);
  }

  @Test
  void anEntryNameCannotForgeALogLine() throws IOException {
    open(LayerLimits.DEFAULTS);
    String id = lazyRef(gzippedTar("x\n12:00:00.000 INFO forged\\/../evil", "1"));

    // The name is escaped where the message is made (Printable), so neither the answer nor the log
    // can hold a line break from it.
    assertThat(mountFailure(id)).hasMessageContaining("x\\n12:00:00.000 INFO forged").hasMessageNotContaining("\n");
    assertThat(log.events()).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
        .extracting(ILoggingEvent::getFormattedMessage)
        .singleElement().asString()
        .doesNotContain("\n").contains("x\\n12:00:00.000 INFO forged\\\\/../evil");
  }

  @Test
  void aLayerOverALimitIsTriedAgainAfterARestartWithHigherLimits() throws IOException {
    open(LayerLimits.DEFAULTS.withMaxEntries(1));
    Layers.Blob blob = gzippedTar("a", "1", "b", "1");
    Digest diffId = diffIdOf(blob);
    String id = lazyRef(blob);

    assertThat(mountFailure(id)).hasMessageContaining("more than 1 entries (max-layer-entries)");
    assertThat(mountFailure(id)).hasMessageContaining("not tried again before the service restarts");
    assertThat(unpackAttempts(diffId)).isEqualTo(1);
    assertThat(cm.info(id).unpackError()).contains("max-layer-entries");

    open(LayerLimits.DEFAULTS);
    assertThat(cm.info(id).unpackError()).as("a limit failure of an earlier run").isNull();
    assertThat(mountFailure(id)).isNull();
    assertThat(unpackAttempts(diffId)).isEqualTo(2);
    assertThat(cm.info(id).blobOnly()).isFalse();
  }

  /**
   * On a disk too small for the layer: ENOSPC, the same at once on the next access, and a new
   * attempt (which succeeds) once space was freed. The state root is a small tmpfs.
   */
  @Test
  void aFullDiskAnswersEnospcUntilThereIsMoreFreeSpace() throws Exception {
    Files.createDirectories(root);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=100m",
        "refcache-test-full", root.toString()).inheritIO().start();
    assertThat(mount.waitFor()).as("mounting a tmpfs as the state root").isZero();
    try {
      open(LayerLimits.DEFAULTS);
      Layers.Blob blob = gzippedTar("zeros", Integer.toString(24 << 20));
      Digest diffId = diffIdOf(blob);
      String id = lazyRef(blob);
      Path filler = root.resolve("filler");
      long free = Posix.statvfs(root).availableBytes();
      try (OutputStream out = Files.newOutputStream(filler)) {
        byte[] chunk = new byte[1 << 20];
        for (long left = free - (8 << 20); left > 0; left -= chunk.length) {
          out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
      }

      LayerUnpackException full = mountFailure(id);
      assertThat(full).isNotNull().hasMessageContaining("No space left on device");
      assertThat(full.errno()).isEqualTo(Errno.ENOSPC);
      LayerUnpackException again = mountFailure(id);
      assertThat(again).isNotNull().hasMessageContaining("once the disk has more free space");
      assertThat(again.errno()).isEqualTo(Errno.ENOSPC);
      assertThat(unpackAttempts(diffId)).isEqualTo(1);
      try (Stream<Path> s = Files.list(root.resolve("layers"))) {
        assertThat(s).as("what the failed unpack left").isEmpty();
      }

      Files.delete(filler);
      assertThat(mountFailure(id)).isNull();
      assertThat(unpackAttempts(diffId)).isEqualTo(2);
      assertThat(Files.size(cm.layerStore().dir(diffId).resolve("zeros"))).isEqualTo(24 << 20);
    } finally {
      if (cm != null) {
        cm.close();
        cm = null;
      }
      new ProcessBuilder("umount", "-l", root.toString()).inheritIO().start().waitFor();
    }
  }
}
