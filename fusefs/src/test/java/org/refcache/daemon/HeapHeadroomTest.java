package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The daemon's soft heap limit follows what is live: a JVM with the service's collector that
 * keeps more live than its starting limit allows gets a higher limit (twice the live heap plus a
 * margin), and one whose live heap shrinks again goes back to its starting limit.
 */
class HeapHeadroomTest {
  private static final long MIB = 1 << 20;

  @Test
  void theLimitIsTwiceTheLiveHeapPlusTheMarginBetweenFloorAndCeiling() {
    long floor = 128 * MIB;
    long ceiling = 900 * MIB;
    assertThat(HeapHeadroom.limitFor(10 * MIB, floor, ceiling)).isEqualTo(floor);
    assertThat(HeapHeadroom.limitFor(100 * MIB, floor, ceiling)).isEqualTo(200 * MIB + HeapHeadroom.MARGIN);
    assertThat(HeapHeadroom.limitFor(800 * MIB, floor, ceiling)).isEqualTo(ceiling);
  }

  /** Run in a JVM of its own with the service's collector (see the test below). */
  public static void main(String[] args) throws Exception {
    if (!HeapHeadroom.install()) {
      System.out.println("not installed");
      return;
    }
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    List<byte[]> live = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      live.add(new byte[(int) MIB]); // 150 MiB live: above the 100 MiB limit it starts with
    }
    System.out.println("started " + Long.parseLong(vm.getVMOption("SoftMaxHeapSize").getValue()) / MIB);
    collect();
    System.out.println("holding " + Long.parseLong(vm.getVMOption("SoftMaxHeapSize").getValue()) / MIB);
    live.clear();
    collect();
    System.out.println("released " + Long.parseLong(vm.getVMOption("SoftMaxHeapSize").getValue()) / MIB
        + " " + live.size());
  }

  private static void collect() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(300); // the notification comes on a thread of the JVM's, after the collection
    }
  }

  @Test
  void aJvmWithTheServicesCollectorRaisesItsLimitWhileMoreIsLiveAndLowersItAfter()
      throws IOException, InterruptedException {
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-XX:+UseShenandoahGC", "-Xms16m", "-Xmx1g",
        "-XX:SoftMaxHeapSize=100m", "-cp", System.getProperty("java.class.path"),
        HeapHeadroomTest.class.getName()).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    // A JDK built without Shenandoah (the service's collector) cannot run this.
    Assumptions.assumeFalse(out.contains("Unrecognized VM option 'UseShenandoahGC'"), out);
    assertThat(p.exitValue()).as(out).isZero();
    List<String> lines = out.lines().filter(l -> l.matches("(started|holding|released) .*")).toList();
    assertThat(lines).as(out).hasSize(3);
    long holding = Long.parseLong(lines.get(1).split(" ")[1]);
    long released = Long.parseLong(lines.get(2).split(" ")[1]);
    assertThat(holding).as(out).isGreaterThanOrEqualTo(2 * 120 + HeapHeadroom.MARGIN / MIB);
    assertThat(released).as(out).isEqualTo(100);
  }
}
