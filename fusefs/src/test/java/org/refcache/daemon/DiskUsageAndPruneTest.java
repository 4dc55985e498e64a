package org.refcache.daemon;

import org.refcache.protocol.ControlProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.refcache.core.layer.Compression;
import org.refcache.posix.Posix;
import org.refcache.posix.StatVfs;

/**
 * {@code refcache du} and {@code refcache prune} through the CLI against a real service whose state
 * root is a tmpfs of its own, so that what the root takes is exactly what the filesystem says is
 * used (statvfs), and also what {@code du -sxB1} says.
 */
class DiskUsageAndPruneTest {
  private ServiceFixture svc;

  @BeforeEach
  void start() throws Exception {
    svc = ServiceFixture.prepare();
    SmallDisk.mount(svc.root, "512m"); // detached by svc.close() with everything under its directory
    svc.startService();
  }

  @AfterEach
  void stop() throws Exception {
    svc.close();
  }

  // ------------------------------------------------------------------ helpers

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A gzip layer with one file of {@code size} random (incompressible) bytes. */
  private String layer(String name, int size) throws IOException {
    Path f = svc.dir.resolve(name + ".tar.gz");
    LayerTar.Entry e = new LayerTar.File(name, 0644, 0, 0, LayerTar.t(1_600_000_000L, 0), Map.of(),
        random(size, name.hashCode()));
    Files.write(f, LayerTar.compress(LayerTar.tar(List.of(e)), Compression.GZIP));
    return f.toString();
  }

  private String importLayer(String name, int size, String... more) throws IOException {
    List<String> args = new ArrayList<>(List.of("import"));
    args.addAll(List.of(more));
    args.add(layer(name, size));
    return svc.ok(args.toArray(String[]::new));
  }

  /** The rows of {@code refcache du --format json}, by ID. */
  private Map<String, JsonNode> du(String... filters) throws IOException {
    List<String> args = new ArrayList<>(List.of("du", "--format", "json"));
    for (String f : filters) {
      args.add("--filter");
      args.add(f);
    }
    JsonNode rows = ControlProtocol.JSON.readTree(svc.ok(args.toArray(String[]::new)));
    assertThat(rows.isArray()).isTrue();
    Map<String, JsonNode> out = new HashMap<>();
    rows.forEach(r -> out.put(r.path("id").asText(), r));
    return out;
  }

  private static long sum(Map<String, JsonNode> rows) {
    return rows.values().stream().mapToLong(r -> r.path("size").asLong()).sum();
  }

  /** Bytes the state root's own filesystem has in use. */
  private long used() throws IOException {
    StatVfs s = Posix.statvfs(svc.root);
    return (s.blocks() - s.blocksFree()) * s.fragmentSize();
  }

  private static long duCommand(Path p) throws Exception {
    Process proc = new ProcessBuilder("du", "-sxB1", p.toString()).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(proc.waitFor()).as(out).isZero();
    return Long.parseLong(out.split("\\s+")[0]);
  }

  /** The rows add up to what the root takes, all of it and the data without LMDB's preallocated map. */
  private void assertDuIsTheTruth(String when) throws Exception {
    Map<String, JsonNode> rows = du();
    long total = sum(rows);
    long used = used();
    long duCmd = duCommand(svc.root);
    long meta = duCommand(svc.root.resolve("meta"));
    assertThat((double) total).as("%s: rows %s against statvfs %d", when, total, used)
        .isCloseTo(used, Percentage.withPercentage(10));
    assertThat((double) total).as("%s: rows %s against du -sx %d", when, total, duCmd)
        .isCloseTo(duCmd, Percentage.withPercentage(10));
    long data = total - rows.get("service:metadata").path("size").asLong();
    assertThat((double) data).as("%s: rows without LMDB %d against statvfs %d - meta %d", when, data, used, meta)
        .isCloseTo(used - meta, Percentage.withPercentage(10));
  }

  private List<String> recordIds() throws IOException {
    List<String> ids = new ArrayList<>();
    ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).forEach(r -> ids.add(r.path("id").asText()));
    return ids;
  }

  private List<String> layerDirs() throws IOException {
    try (Stream<Path> s = Files.list(svc.root.resolve("layers"))) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
    }
  }

  /** The IDs {@code refcache prune --format json args...} removed, in order, and its result. */
  private JsonNode prune(String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of("prune", "--format", "json"));
    all.addAll(List.of(args));
    return ControlProtocol.JSON.readTree(svc.ok(all.toArray(String[]::new)));
  }

  private static List<String> removedIds(JsonNode pruned) {
    List<String> ids = new ArrayList<>();
    pruned.path("removed").forEach(r -> ids.add(r.path("id").asText()));
    return ids;
  }

  // ------------------------------------------------------------------ du

  @Test
  void duAddsUpToWhatTheRootTakesAcrossImportsUnpacksWritesAndCommits() throws Exception {
    assertDuIsTheTruth("empty");
    String base = importLayer("base", 6 << 20);
    assertDuIsTheTruth("after an import");
    assertThat(Files.size(svc.tree(base).resolve("base"))).isEqualTo(6 << 20); // unpacks it
    assertDuIsTheTruth("after an unpack");
    String top = importLayer("top", 3 << 20, "--parent", base);
    String work = svc.ok("new", "--parent", top);
    Files.write(svc.tree(work).resolve("written"), random(5 << 20, 7));
    Files.write(svc.tree(work).resolve("base"), random(1 << 20, 8)); // a copy-up
    assertDuIsTheTruth("after writes into a mutable");
    svc.ok("commit", work);
    assertDuIsTheTruth("after a commit");
    // The same blob on another parent: a second record, its blob and layer counted once and shared.
    String other = importLayer("other", 1 << 20);
    String again = svc.ok("import", "--parent", other, svc.dir.resolve("top.tar.gz").toString());
    assertThat(again).isNotEqualTo(top);
    Map<String, JsonNode> rows = du();
    assertThat(rows.get(again).path("shared").asBoolean()).isTrue();
    assertThat(rows.get(top).path("shared").asBoolean()).isTrue();
    assertThat(rows.get(base).path("shared").asBoolean()).isFalse();
    assertDuIsTheTruth("with a shared blob");
  }

  @Test
  void duPrintsBuildctlsTableAndJsonWithBuildKitsFields() throws Exception {
    String a = importLayer("a", 100_000);
    String m = svc.ok("new", "--parent", a);
    ServiceFixture.Run text = svc.cli("du");
    assertThat(text.exit()).isZero();
    String[] lines = text.out().split("\n");
    assertThat(lines[0]).matches("ID\\s+RECLAIMABLE\\s+SIZE\\s+LAST ACCESSED");
    assertThat(text.out()).contains(m + "*").contains("service:metadata").contains("Reclaimable:").contains("Total:");
    assertThat(svc.ok("du", "--verbose")).contains("ID:", "Usage count:", "Type:", "Mutable:");
    JsonNode row = du().get(a);
    List<String> fields = new ArrayList<>();
    row.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("id", "mutable", "inUse", "size", "createdAt", "lastUsedAt", "usageCount",
        "parents", "description", "recordType", "shared");
    assertThat(row.path("inUse").asBoolean()).isTrue();
    assertThat(row.path("size").asLong()).isGreaterThan(100_000);
    assertThat(du("type==regular").keySet()).containsExactlyInAnyOrder(a, m);
    assertThat(du("mutable").keySet()).containsExactly(m);
    ServiceFixture.Run bad = svc.cli("du", "--filter", "size>3");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("invalid filter");
  }

  // ------------------------------------------------------------------ prune

  @Test
  void pruneLeavesHeldMountedAndRecentlyUsedRefsAndParentsOfHeldOnes() throws Exception {
    String mounted = importLayer("mounted", 10_000);
    String released = importLayer("released", 10_000);
    String held = importLayer("held", 10_000);
    String parent = importLayer("parent", 10_000);
    String child = importLayer("child", 10_000, "--parent", parent);
    Path dir = Files.createDirectories(svc.dir.resolve("bound"));
    svc.ok("mount", mounted, dir.toString());
    svc.ok("release", mounted);
    svc.ok("release", released);
    svc.ok("release", parent);

    assertThat(removedIds(prune("--keep-duration", "1h"))).as("all were used just now").isEmpty();
    ServiceFixture.Run text = svc.cli("prune");
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains(released).contains("Reclaimed:").contains("Freed:");
    assertThat(recordIds()).containsExactlyInAnyOrder(mounted, held, parent, child);
    assertThat(Files.readString(dir.resolve("mounted"), StandardCharsets.ISO_8859_1)).hasSize(10_000);
    svc.ok("umount", dir.toString());
    assertThat(removedIds(prune())).containsExactly(mounted);
  }

  @Test
  void aSizeTargetPruneRemovesTheLeastRecentlyUsedAndStopsAtTheTarget() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(importLayer("r" + i, 1 << 20));
    }
    for (String id : ids) {
      svc.ok("release", id); // in order: r0 least recently used
    }
    Map<String, JsonNode> rows = du();
    long total = sum(rows) - rows.get("service:unreferenced").path("size").asLong()
        - rows.get("service:open-files").path("size").asLong();
    long target = total - rows.get(ids.get(0)).path("size").asLong() - rows.get(ids.get(1)).path("size").asLong() / 2;
    JsonNode pruned = prune("--max-used-space", Long.toString(target));
    assertThat(removedIds(pruned)).containsExactly(ids.get(0), ids.get(1));
    assertThat(pruned.path("result").path("keepBytes").asLong()).isEqualTo(target);
    assertThat(recordIds()).containsExactlyInAnyOrder(ids.get(2), ids.get(3));
    assertThat(sum(du()) - du().get("service:unreferenced").path("size").asLong()).isLessThan(target);
  }

  @Test
  void pruneAllThenCollectionReturnsTheRootToItsEmptySize() throws Exception {
    long empty = used();
    String base = importLayer("base", 8 << 20);
    String top = importLayer("top", 4 << 20, "--parent", base);
    assertThat(Files.size(svc.tree(top).resolve("base"))).isEqualTo(8 << 20);
    String work = svc.ok("new", "--parent", top, "--retain");
    Files.write(svc.tree(work).resolve("written"), random(6 << 20, 3));
    svc.ok("commit", work);
    String scratch = svc.ok("new");
    Files.write(svc.tree(scratch).resolve("tmp"), random(2 << 20, 4));
    assertThat(used()).isGreaterThan(empty + (20 << 20));
    for (String id : List.of(work, top, base, scratch)) {
      svc.ok("release", id);
    }
    JsonNode pruned = prune("--all");
    assertThat(recordIds()).isEmpty();
    assertThat(pruned.path("result").path("gc").path("freed").asLong()).isGreaterThan(20 << 20);
    assertThat(used()).as("within 5 MiB of the empty root (%d)", empty).isLessThan(empty + (5 << 20));
    assertThat(du().get("service:unreferenced").path("size").asLong()).isZero();
  }

  @Test
  void aFileOpenThroughTheMountStaysReadableAfterItsRefIsPruned() throws Exception {
    String id = importLayer("open", 3 << 20);
    byte[] expected = random(3 << 20, "open".hashCode());
    Path file = svc.tree(id).resolve("open");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer first = ByteBuffer.allocate(4096);
      ch.read(first, 0);
      svc.ok("release", id);
      assertThat(removedIds(prune())).containsExactly(id);
      assertThat(recordIds()).doesNotContain(id);
      assertThat(Files.exists(svc.tree(id))).as("the view no longer shows it").isFalse();
      ByteBuffer all = ByteBuffer.allocate(3 << 20);
      while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
        // read to the end through the open file
      }
      assertThat(all.array()).isEqualTo(expected);
    }
    prune(); // its data is garbage once the file is closed
    assertThat(layerDirs()).isEmpty();
    assertThat(du().get("service:unreferenced").path("size").asLong()).isZero();
  }

  /**
   * Opened and not read before its ref is pruned: with opens that take no request the view never
   * saw the open, and keeps the ref's data for every file of it the kernel holds. The record goes
   * at once, the data when the kernel forgot the file (a little after its close), and du tells
   * the truth meanwhile.
   */
  @Test
  void aFileOpenedButNotReadBeforeItsRefIsPrunedIsReadAndItsDataGoesAfterTheClose() throws Exception {
    String id = importLayer("unread", 3 << 20);
    byte[] expected = random(3 << 20, "unread".hashCode());
    Path file = svc.tree(id).resolve("unread");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      svc.ok("release", id);
      assertThat(removedIds(prune())).containsExactly(id);
      assertThat(recordIds()).doesNotContain(id);
      assertThat(Files.exists(svc.tree(id))).as("the view no longer shows it").isFalse();
      assertThat(layerDirs()).as("the data, while its file is open").isNotEmpty();
      assertDuIsTheTruth("pruned while a file of it is open");
      ByteBuffer all = ByteBuffer.allocate(3 << 20);
      while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
        // read to the end through the open file
      }
      assertThat(all.array()).isEqualTo(expected);
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!layerDirs().isEmpty() && System.nanoTime() < deadline) {
      prune(); // garbage once the kernel forgot the closed file
      Thread.sleep(20);
    }
    assertThat(layerDirs()).isEmpty();
    assertThat(du().get("service:unreferenced").path("size").asLong()).isZero();
    assertDuIsTheTruth("after the close");
  }

  @Test
  void badSizesAndDurationsAreUsageErrors() {
    ServiceFixture.Run r = svc.cli("prune", "--max-used-space", "10XB");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("not a size: '10XB'");
    r = svc.cli("prune", "--keep-duration", "two days");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("not a duration");
  }
}
