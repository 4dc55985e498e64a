package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.posix.Posix;

class PipelinedLayerOutputTest {
  private static final String WRITER = "pipelined-layer-output-test";

  @TempDir
  Path root;

  private PipelinedLayerOutput pipelined(LayerOutput target) {
    // The smallest queue: a file of many chunks waits for the writer at every chunk.
    return new PipelinedLayerOutput(target, PipelinedLayerOutput.CHUNK, WRITER);
  }

  private static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  @Test
  void appliesEveryOperationInOrderWithFilesOfManyChunksWhole() throws IOException {
    byte[] big = random(5 * PipelinedLayerOutput.CHUNK + 17);
    byte[] exact = random(PipelinedLayerOutput.CHUNK);
    Instant mtime = Instant.ofEpochSecond(1_600_000_000L, 42);
    try (PipelinedLayerOutput out = pipelined(new LayerDirectory(root))) {
      out.mkdir("d");
      out.writeFile("d/big", new ByteArrayInputStream(big));
      out.writeFile("d/exact", new ByteArrayInputStream(exact));
      out.writeFile("d/empty", InputStream.nullInputStream());
      out.chmod("d/big", 0751);
      out.setTimes("d/big", mtime, mtime);
      out.delete("d/exact", false);
      out.writeFile("d/exact", new ByteArrayInputStream(new byte[] {1, 2, 3}));
      out.finish();
    }

    assertThat(Files.readAllBytes(root.resolve("d/big"))).isEqualTo(big);
    assertThat(Files.readAllBytes(root.resolve("d/exact"))).containsExactly(1, 2, 3);
    assertThat(Files.size(root.resolve("d/empty"))).isZero();
    assertThat(Posix.lstat(root.resolve("d/big")).permissions()).isEqualTo(0751);
    assertThat(Posix.lstat(root.resolve("d/big")).mtime()).isEqualTo(mtime);
    assertThat(writerAlive()).isFalse();
  }

  @Test
  void aFailedOperationIsThrownToTheCallerAndNothingAfterItIsApplied() throws IOException {
    try (PipelinedLayerOutput out = pipelined(new LayerDirectory(root))) {
      out.mkdir("missing/child"); // fails on the writer thread
      out.mkdir("after");
      assertThatThrownBy(out::finish).isInstanceOf(NoSuchFileException.class);
    }

    assertThat(root.resolve("after")).doesNotExist();
    assertThat(writerAlive()).isFalse();
  }

  /**
   * The writer fails a file without reading its content while the unpacking thread is still
   * copying it into a queue with room for one chunk: the unpacking thread must get the failure,
   * not wait forever for room.
   */
  @Test
  @Timeout(60) // a hang guard, not a measure
  void aWriterThatFailsAFileStopsTheCallerStillCopyingIt() {
    LayerOutput directory = new LayerDirectory(root);
    LayerOutput failingFiles = (LayerOutput) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {LayerOutput.class}, (proxy, method, args) -> {
          if (method.getName().equals("writeFile")) {
            throw new NoSuchFileException((String) args[0], null, "refused by the test");
          }
          try {
            return method.invoke(directory, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (PipelinedLayerOutput out = pipelined(failingFiles)) {
      assertThatThrownBy(() -> out.writeFile("f",
          new ByteArrayInputStream(new byte[100 * PipelinedLayerOutput.CHUNK])))
          .isInstanceOf(NoSuchFileException.class)
          .hasMessageContaining("refused by the test");
    }
    assertThat(writerAlive()).isFalse();
  }

  /**
   * The layer stops while a file is being copied (a truncated tar): the failure is the caller's,
   * and once {@link PipelinedLayerOutput#close} returned the writer has stopped, so deleting the
   * tree cannot race with it.
   */
  @Test
  void closeAfterTheReadingFailedStopsTheWriterBeforeReturning() throws IOException {
    InputStream truncated = new InputStream() {
      private int left = 3 * PipelinedLayerOutput.CHUNK;

      @Override
      public int read() throws IOException {
        if (left-- == 0) {
          throw new IOException("truncated by the test");
        }
        return 7;
      }
    };
    PipelinedLayerOutput out = pipelined(new LayerDirectory(root));
    out.mkdir("d");
    assertThatThrownBy(() -> out.writeFile("d/f", truncated)).hasMessage("truncated by the test");
    out.close();

    assertThat(writerAlive()).isFalse();
    assertThatThrownBy(() -> out.mkdir("later")).isInstanceOf(IOException.class);
    assertThat(root.resolve("later")).doesNotExist();
  }

  private static boolean writerAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals(WRITER) && t.isAlive());
  }
}
