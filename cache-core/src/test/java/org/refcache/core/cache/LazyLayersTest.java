package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.digest.Digest;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.posix.ErrnoMapper;
import org.refcache.posix.Errno;
import org.slf4j.LoggerFactory;

/**
 * Per-layer laziness (DESIGN "The FUSE view"): the first access to a path unpacks only the layers
 * needed to answer it, top-down until the answer is known, each once however many accesses race;
 * {@code extract} still materializes the whole chain. Unpacks are counted from the manager's
 * "unpacking layer" log line, as {@link UnpackFailureTest} does.
 */
class LazyLayersTest {
  @TempDir Path root;
  CacheManager cm;
  ListAppender<ILoggingEvent> log;
  final List<Ref> opened = new ArrayList<>();

  @BeforeEach
  void open() throws IOException {
    log = new ListAppender<>();
    log.start();
    ((Logger) LoggerFactory.getLogger(CacheManager.class)).addAppender(log);
    cm = CacheManager.open(CacheConfig.at(root));
  }

  @AfterEach
  void close() {
    ((Logger) LoggerFactory.getLogger(CacheManager.class)).detachAppender(log);
    opened.forEach(Ref::release);
    cm.close();
  }

  private long unpacks(Layers.Blob layer) {
    String diffId = layer.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION);
    synchronized (log) {
      return log.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.startsWith("unpacking layer " + diffId + " ")).count();
    }
  }

  private ImmutableRef lazy(Layers.Blob blob, ImmutableRef parent) throws IOException {
    blob.store(cm.contentStore());
    ImmutableRef r = cm.getByBlob(blob.desc(), parent);
    opened.add(r);
    return r;
  }

  /**
   * bottom, middle and top layers of one chain; nested directories present in several, each layer
   * with entries for its directories (a layer without them leaves their metadata to the layers
   * below, so showing them unpacks those: ImplicitDirectoriesTest).
   */
  private final Layers.Blob bottom = gz("bottom", "0", "usr/bin/a", "a", "shared", "bottom's");
  private final Layers.Blob middle = gz("middle", "1", "usr/lib/m", "m", "shared", "middle's");
  private final Layers.Blob top = gz("top", "2", "usr/bin/c", "c");

  private static Layers.Blob gz(String... nameThenContent) {
    try {
      return Layers.gzippedWithDirectories(Layers.files(nameThenContent));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ImmutableRef chain() throws IOException {
    return lazy(top, lazy(middle, lazy(bottom, null)));
  }

  @Test
  void aLookupUnpacksOnlyTheLayersDownToItsAnswer() throws IOException {
    OverlayTree t = chain().mount(true);
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).as("after mount: the top layer")
        .containsExactly(1L, 0L, 0L);

    assertThat(TreeRefs.read(t, "top")).isEqualTo("2");
    assertThat(TreeRefs.read(t, "usr/bin/c")).isEqualTo("c");
    // A directory of several layers is not counted (1) rather than unpacked for its link count.
    assertThat(t.attributes("usr").orElseThrow().nlink()).isEqualTo(1);
    assertThat(t.attributes("").orElseThrow().nlink()).isEqualTo(1);
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).as("names of the top layer")
        .containsExactly(1L, 0L, 0L);

    assertThat(TreeRefs.read(t, "shared")).isEqualTo("middle's");
    assertThat(TreeRefs.read(t, "usr/lib/m")).isEqualTo("m");
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).as("names of the middle layer")
        .containsExactly(1L, 1L, 0L);

    assertThat(TreeRefs.read(t, "usr/bin/a")).isEqualTo("a");
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).as("a name of the bottom layer")
        .containsExactly(1L, 1L, 1L);
    assertThat(t.resolve("missing")).isEmpty();
    assertThat(TreeRefs.names(t, "")).containsExactly("bottom", "middle", "shared", "top", "usr");
    assertThat(t.attributes("usr").orElseThrow().nlink()).isEqualTo(4); // bin and lib, now that all are known
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).as("each once")
        .containsExactly(1L, 1L, 1L);
  }

  @Test
  void aMissingNameNeedsEveryLayer() throws IOException {
    OverlayTree t = chain().mount(true);
    assertThat(t.resolve("nowhere")).isEmpty();
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).containsExactly(1L, 1L, 1L);
  }

  @Test
  void concurrentFirstAccessesUnpackEachLayerOnce() throws Exception {
    OverlayTree t = chain().mount(true);
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      String path = i % 2 == 0 ? "usr/bin/a" : "bottom";
      Thread th = new Thread(() -> {
        try {
          start.await();
          assertThat(t.resolve(path)).isPresent();
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      th.start();
      all.add(th);
    }
    start.countDown();
    for (Thread th : all) {
      th.join();
    }
    assertThat(failures).isEmpty();
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).containsExactly(1L, 1L, 1L);
  }

  @Test
  void extractStillMaterializesTheWholeChain() throws IOException {
    ImmutableRef r = chain();
    r.extract();
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).containsExactly(1L, 1L, 1L);
    assertThat(r.isBlobOnly()).isFalse();
    assertThat(TreeRefs.read(r.mount(true), "usr/bin/a")).isEqualTo("a");
    assertThat(List.of(unpacks(top), unpacks(middle), unpacks(bottom))).containsExactly(1L, 1L, 1L);
  }

  /** A lower layer that cannot be unpacked fails the accesses that reach it, with its errno; the rest reads on. */
  @Test
  void aLowerLayerThatCannotBeUnpackedFailsOnlyTheAccessesThatReachIt() throws IOException {
    Layers.Blob broken = gz("b", "1");
    Layers.Blob lying = new Layers.Blob(broken.bytes(), Descriptor.layer(broken.desc().mediaType(),
        broken.digest(), broken.bytes().length, Digest.sha256(new byte[] {1, 2, 3})));
    ImmutableRef r = lazy(top, lazy(lying, null));
    OverlayTree t = r.mount(true);
    assertThat(TreeRefs.read(t, "top")).isEqualTo("2");
    assertThatThrownBy(() -> t.resolve("b")).isInstanceOf(UncheckedIOException.class)
        .satisfies(e -> assertThat(ErrnoMapper.toErrno(e)).isEqualTo(Errno.EIO))
        .hasStackTraceContaining("cannot unpack layer");
    assertThat(TreeRefs.read(t, "usr/bin/c")).isEqualTo("c");
  }

  /** A merge of lazy refs unpacks, at first, only its last input's top layer. */
  @Test
  void aMergeOfLazyRefsUnpacksOnlyWhatItsLookupsReach() throws IOException {
    Layers.Blob other = gz("other", "o");
    ImmutableRef m = cm.merge(List.of(chain(), lazy(other, null)));
    opened.add(m);
    OverlayTree t = m.mount(true);
    assertThat(TreeRefs.read(t, "other")).isEqualTo("o");
    assertThat(TreeRefs.read(t, "top")).isEqualTo("2");
    assertThat(List.of(unpacks(other), unpacks(top), unpacks(middle), unpacks(bottom)))
        .containsExactly(1L, 1L, 0L, 0L);
  }
}
