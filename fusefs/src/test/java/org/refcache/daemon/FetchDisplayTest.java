package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.TransferListener;
import org.refcache.core.digest.Digest;

/** The service's own display of lazy fetches ({@link FetchDisplay}) and what reaches it. */
class FetchDisplayTest {
  private static final ImageReference IMAGE = ImageReference.parse("127.0.0.1:5000/app:v1");
  private static final OciDescriptor LAYER = OciDescriptor.of("application/vnd.oci.image.layer.v1.tar+gzip",
      Digest.sha256("layer"), 3L << 20);
  private static final String SHORT = Digest.sha256("layer").toString().substring("sha256:".length(), 19);

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private FetchDisplay display(long intervalNanos) {
    return new FetchDisplay(new PrintStream(bytes, true, StandardCharsets.UTF_8), intervalNanos);
  }

  private List<String> lines() {
    String text = bytes.toString(StandardCharsets.UTF_8);
    return text.isEmpty() ? List.of() : List.of(text.split("\n"));
  }

  @Test
  void aFetchShowsItsLayerAsItBeginsMovesAndEnds() {
    FetchDisplay d = display(0);
    d.started(IMAGE, LAYER, 0);
    d.progressed(IMAGE, LAYER, 1L << 20);
    d.progressed(IMAGE, LAYER, 2L << 20);
    d.finished(IMAGE, LAYER);
    List<String> lines = lines();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo("refcache: fetching " + SHORT + " of 127.0.0.1:5000/app:v1: 3.00 MiB");
    assertThat(lines.get(1)).startsWith("refcache: fetching " + SHORT + " of 127.0.0.1:5000/app:v1: 1.00 MiB / 3.00 MiB, ")
        .endsWith("/s");
    assertThat(lines.get(2)).contains("2.00 MiB / 3.00 MiB, ");
    assertThat(lines.get(3)).startsWith("refcache: fetched " + SHORT + " of 127.0.0.1:5000/app:v1: 3.00 MiB in ")
        .contains(" ms, ").endsWith("/s");
  }

  @Test
  void anImageWithATagIsShownByNameAndTagWithoutItsDigest() {
    ImageReference pinned = ImageReference.parse("127.0.0.1:5000/app:v1@" + Digest.sha256("manifest"));
    display(0).finished(pinned, LAYER);
    assertThat(lines().get(0)).startsWith("refcache: fetched " + SHORT + " of 127.0.0.1:5000/app:v1: ");
  }

  @Test
  void progressLinesComeAtMostOncePerInterval() {
    FetchDisplay d = display(Long.MAX_VALUE);
    d.started(IMAGE, LAYER, 0);
    for (int i = 1; i <= 100; i++) {
      d.progressed(IMAGE, LAYER, i * 1000L);
    }
    d.finished(IMAGE, LAYER);
    assertThat(lines()).hasSize(2);
    assertThat(lines().get(0)).contains("fetching");
    assertThat(lines().get(1)).contains("fetched");
  }

  @Test
  void aResumedFetchSaysWhereItBrokeAndWhereItGoesOn() {
    FetchDisplay d = display(0);
    d.started(IMAGE, LAYER, 0);
    d.resumed(IMAGE, LAYER, 1L << 20, new IOException("connection reset"));
    d.started(IMAGE, LAYER, 1L << 20);
    assertThat(lines().get(1)).endsWith(": at 1.00 MiB (connection reset); resuming");
    assertThat(lines().get(2)).endsWith(": 1.00 MiB / 3.00 MiB (resumed)");
  }

  @Test
  void onlyTerminalsGetTheDisplay(@TempDir Path dir) throws IOException {
    assertThat(FetchDisplay.isTerminalDevice("/dev/pts/3")).isTrue();
    assertThat(FetchDisplay.isTerminalDevice("/dev/tty1")).isTrue();
    assertThat(FetchDisplay.isTerminalDevice("/dev/ttyS0")).isTrue();
    assertThat(FetchDisplay.isTerminalDevice("pipe:[41234]")).isFalse();
    assertThat(FetchDisplay.isTerminalDevice("socket:[41234]")).isFalse();
    assertThat(FetchDisplay.isTerminalDevice("/dev/null")).isFalse();
    assertThat(FetchDisplay.isTerminalDevice("/var/log/refcache.log")).isFalse();
    // As /proc/self/fd/2 is read: a link to the device.
    Path tty = Files.createSymbolicLink(dir.resolve("2"), Path.of("/dev/pts/9"));
    Path pipe = Files.createSymbolicLink(dir.resolve("3"), Path.of("pipe:[1]"));
    assertThat(FetchDisplay.isTerminal(tty)).isTrue();
    assertThat(FetchDisplay.isTerminal(pipe)).isFalse();
    assertThat(FetchDisplay.isTerminal(dir.resolve("none"))).isFalse();
  }

  @Test
  void aPullsTransfersReachTheDisplayOnlyOnceItsClientIsAnswered() {
    List<JsonNode> toClient = new ArrayList<>();
    TransferListener display = display(0);
    TransferProgress transfers = new TransferProgress(toClient::add, display);
    transfers.started(IMAGE, LAYER, 0);
    transfers.finished(IMAGE, LAYER); // an eager pull's layer: the client shows it
    assertThat(toClient).hasSize(2);
    assertThat(lines()).isEmpty();
    transfers.close(); // answered: a later lazy fetch through the pull's registry client
    transfers.started(IMAGE, LAYER, 0);
    transfers.finished(IMAGE, LAYER);
    assertThat(toClient).hasSize(2);
    assertThat(lines()).hasSize(2);
    assertThat(lines().get(1)).startsWith("refcache: fetched " + SHORT);
  }
}
