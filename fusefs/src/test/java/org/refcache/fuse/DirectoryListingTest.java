package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.fuse.kernel.FuseKernel;
import org.refcache.testing.LayerBuilder;

/**
 * Directories opened without requests (kernel transport): OPENDIR is refused once, so the kernel
 * opens directories itself and keeps every listing. Each test lists a directory first, so that
 * the kernel holds its listing, then changes it and lists again.
 */
class DirectoryListingTest {

  @TempDir
  Path tmp;
  ViewFixture view;
  Path layer;

  @BeforeEach
  void setUp() throws IOException {
    view = new ViewFixture(tmp);
    layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("a", "a").file("d/x", "x");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** What the service does when a ref appears or goes: it tells the mount. */
  @Test
  void aListingOfRefsShowsANewRefAndDropsAGoneOne() throws IOException {
    view.addReadOnly("one", layer);
    FuseMount mount = view.mount();
    Path refs = view.ref("one").getParent();
    assertThat(names(refs)).containsExactly("one");
    assertThat(names(refs)).containsExactly("one"); // listed twice: the kernel keeps it

    view.addReadOnly("two", layer);
    mount.invalidate("two");
    assertThat(names(refs)).containsExactly("one", "two");

    view.source.remove("one");
    mount.invalidate("one");
    assertThat(names(refs)).containsExactly("two");
  }

  @Test
  void aWritableDirectorysListingShowsCreatesUnlinksAndRenamesAtOnce() throws IOException {
    view.addWritable("w", layer);
    view.mount();
    Path d = view.ref("w").resolve("d");
    Path other = view.ref("w");
    assertThat(names(d)).containsExactly("x");
    assertThat(names(d)).containsExactly("x");

    Files.writeString(d.resolve("new"), "n");
    assertThat(names(d)).containsExactly("new", "x");
    Files.delete(d.resolve("x"));
    assertThat(names(d)).containsExactly("new");
    Files.move(d.resolve("new"), d.resolve("renamed"));
    assertThat(names(d)).containsExactly("renamed");
    assertThat(names(other)).containsExactly("a", "d");
    Files.move(d.resolve("renamed"), other.resolve("moved"));
    assertThat(names(d)).isEmpty();
    assertThat(names(other)).containsExactly("a", "d", "moved");
    Files.createDirectory(d.resolve("sub"));
    Files.createLink(d.resolve("link"), other.resolve("a"));
    assertThat(names(d)).containsExactly("link", "sub");
    Files.delete(d.resolve("sub"));
    assertThat(names(d)).containsExactly("link");
  }

  /**
   * A warm walk sends no request per directory: no OPENDIR or RELEASEDIR (one OPENDIR, refused,
   * in the mount's life) and no listing. The second pass asks once for each directory's
   * attributes (the first pass's READDIR marked its atime stale: fs/fuse/readdir.c); from the
   * third on, only {@code find}'s one {@code statfs} of where it starts reaches the view.
   */
  @Test
  void aWarmWalkSendsNoRequestPerDirectory() throws Exception {
    LayerBuilder tree = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    for (int i = 0; i < 20; i++) {
      tree.file("t/d" + i + "/f", "f");
    }
    view.addReadOnly("ro", layer);
    FuseMount mount = view.mount();
    List<String> find = List.of("find", view.ref("ro").resolve("t").toString(), "-printf", "%s\n");
    run(find);
    long[] first = counts(mount);
    run(find);
    long[] second = counts(mount);
    run(find);
    long[] third = counts(mount);

    assertThat(mount.served(FuseKernel.OPENDIR)).as("OPENDIR, refused once").isEqualTo(1);
    assertThat(mount.served(FuseKernel.RELEASEDIR)).isZero();
    for (int op : new int[] {FuseKernel.READDIR, FuseKernel.READDIRPLUS, FuseKernel.LOOKUP}) {
      assertThat(second[op] - first[op]).as("opcode %d in the second pass", op).isZero();
    }
    assertThat(total(third) - total(second) - (third[FuseKernel.STATFS] - second[FuseKernel.STATFS]))
        .as("requests of the third pass besides STATFS:" + diff(second, third)).isZero();
  }

  /**
   * Two readers of one directory, one starting while the other is half way through and a file
   * made between: the first still gets each of its entries exactly once (its offsets name its
   * own snapshot, not the handle it no longer has).
   */
  @Test
  void aReaderHalfWayThroughABigDirectoryGetsEachEntryOnce() throws IOException {
    LayerBuilder big = LayerBuilder.allAt(layer, LayerBuilder.OLD);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      String name = "entry-with-a-rather-long-name-" + i;
      big.file("big/" + name, "");
      expected.add(name);
    }
    view.addWritable("w", layer);
    FuseMount mount = view.mount();
    Path dir = view.ref("w").resolve("big");
    List<String> seen = new ArrayList<>();
    try (DirectoryStream<Path> first = Files.newDirectoryStream(dir)) {
      Iterator<Path> it = first.iterator();
      for (int i = 0; i < 700 && it.hasNext(); i++) {
        seen.add(it.next().getFileName().toString());
      }
      Files.writeString(dir.resolve("made-meanwhile"), "");
      assertThat(names(dir)).hasSize(1501);
      it.forEachRemaining(p -> seen.add(p.getFileName().toString()));
    }
    seen.remove("made-meanwhile"); // may or may not show (POSIX leaves it open)
    assertThat(seen).hasSize(1500).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(mount.served(FuseKernel.READDIRPLUS) + mount.served(FuseKernel.READDIR))
        .as("listed in more than one request per reader").isGreaterThan(4);
  }

  private static String diff(long[] a, long[] b) {
    StringBuilder sent = new StringBuilder();
    for (int op = 0; op < 64; op++) {
      if (a[op] != b[op]) {
        sent.append(" opcode ").append(op).append(": ").append(b[op] - a[op]);
      }
    }
    return sent.toString();
  }

  private static long[] counts(FuseMount mount) {
    long[] n = new long[64];
    for (int op = 0; op < 64; op++) {
      n[op] = mount.served(op);
    }
    return n;
  }

  private static long total(long[] counts) {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as(command + ": " + new String(out)).isZero();
  }
}
