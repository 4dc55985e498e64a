package org.refcache.daemon;

import org.refcache.protocol.ControlProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code refcache daemon} killed with SIGKILL while a prune runs (right after it reported its first
 * removed ref), then started again: the records prune had decided on are gone (tombstoned ones are
 * purged at start), the data of every gone record is collected by the start, the others read as
 * before, and nothing is left in {@code tmp/}.
 */
class PruneCrashTest {
  private ServiceFixture svc;
  private DaemonProcesses daemons;

  @BeforeEach
  void prepare() throws Exception {
    svc = ServiceFixture.prepare();
    daemons = new DaemonProcesses(svc);
    SmallDisk.mount(svc.root, "512m"); // detached by svc.close()
  }

  @AfterEach
  void cleanUp() throws Exception {
    daemons.close();
    svc.close();
  }

  private String layer(String name, String parent) throws IOException {
    Path f = svc.dir.resolve(name + ".tar");
    List<LayerTar.Entry> files = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      files.add(new LayerTar.File(name + "/f" + i, 0644, 0, 0, LayerTar.t(1_600_000_000L, 0), java.util.Map.of(),
          (name + i).repeat(500).getBytes(StandardCharsets.UTF_8)));
    }
    Files.write(f, LayerTar.tar(files));
    return parent == null ? svc.ok("import", f.toString()) : svc.ok("import", "--parent", parent, f.toString());
  }

  @Test
  void aPruneKilledHalfWayIsFinishedByTheNextStart() throws Exception {
    Process first = daemons.start("first");
    List<String[]> chains = new ArrayList<>();
    for (int c = 0; c < 25; c++) {
      String base = layer("b" + c, null);
      String mid = layer("m" + c, base);
      String top = layer("t" + c, mid);
      chains.add(new String[] {base, mid, top});
      assertThat(Files.readString(svc.tree(top).resolve("b" + c + "/f0"))).startsWith("b" + c + "0"); // unpack
    }
    for (String[] chain : chains) {
      for (String id : chain) {
        svc.ok("release", id);
      }
    }

    // The prune, read line by line: SIGKILL as soon as it reports its first removed ref.
    String firstRemoved;
    boolean finished = false;
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(svc.socket));
      ObjectNode req = ControlProtocol.request("prune", ControlProtocol.object());
      ch.write(ByteBuffer.wrap((ControlProtocol.JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8)));
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      while (true) {
        JsonNode line = ControlProtocol.JSON.readTree(in.readLine());
        if (line.has("progress") && line.path("progress").has("removed")) {
          firstRemoved = line.path("progress").path("removed").path("id").asText();
          break;
        }
        assertThat(line.has("ok")).as("a final line before any removed ref: %s", line).isFalse();
      }
      first.destroyForcibly();
      assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String rest;
      while ((rest = in.readLine()) != null) {
        finished |= rest.contains("\"ok\":true");
      }
    }
    System.out.println("prune killed " + (finished ? "after it had finished" : "half-way"));

    daemons.start("second");
    assertThat(daemons.log("second")).doesNotContain("ERROR");
    // A prune that removes nothing: it runs after the start's collection is done.
    svc.ok("prune", "--filter", "id==nothing");
    List<String> left = svc.recordIds();
    assertThat(left).doesNotContain(firstRemoved);
    for (int c = 0; c < chains.size(); c++) {
      String[] chain = chains.get(c);
      // Children go before their parents: what is left of a chain is its bottom part, and it reads.
      for (int i = 1; i < 3; i++) {
        if (left.contains(chain[i])) {
          assertThat(left).contains(chain[i - 1]);
        }
      }
      if (left.contains(chain[0])) {
        assertThat(Files.readString(svc.tree(chain[0]).resolve("b" + c + "/f1"))).startsWith("b" + c + "1");
      }
    }
    if (!finished) {
      assertThat(daemons.log("second")).contains("a prune was cut short");
    }
    JsonNode rows = ControlProtocol.JSON.readTree(svc.ok("du", "--format", "json"));
    for (JsonNode r : rows) {
      if (r.path("id").asText().equals("service:unreferenced")) {
        assertThat(r.path("size").asLong()).as("the data of every pruned ref is gone").isZero();
      }
    }
    try (Stream<Path> tmp = Files.list(svc.root.resolve("tmp"))) {
      assertThat(tmp.toList()).isEmpty();
    }
    assertThat(svc.root.resolve("gc.pending")).doesNotExist();
    svc.ok("prune");
    assertThat(svc.recordIds()).isEmpty();
    try (Stream<Path> layers = Files.list(svc.root.resolve("layers"))) {
      assertThat(layers.filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
    }
  }
}
