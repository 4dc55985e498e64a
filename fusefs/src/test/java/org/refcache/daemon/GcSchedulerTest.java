package org.refcache.daemon;

import org.refcache.protocol.ControlProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon's automatic garbage collection: a policy from a configuration file runs after the
 * start, removes what its rules allow and leaves the rest, and logs why.
 */
class GcSchedulerTest {
  private ServiceFixture svc;

  @AfterEach
  void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  private List<String> recordIds() throws Exception {
    List<String> ids = new ArrayList<>();
    ControlProtocol.JSON.readTree(svc.ok("ls", "--format", "json")).forEach(r -> ids.add(r.path("id").asText()));
    return ids;
  }

  private String layer(String name) throws Exception {
    Path f = svc.dir.resolve(name + ".tar");
    Files.write(f, LayerTar.tar(LayerTar.oneFile(name, name + "\n")));
    return svc.ok("import", "--description", name, f.toString());
  }

  @Test
  void aPolicyRunsAfterImportsAndRemovesOnlyWhatItsRulesAllow() throws Exception {
    svc = ServiceFixture.prepare();
    // Runs once anything was imported (and a second after the start): unused refs described "junk*" go.
    GcPolicy policy = GcPolicy.parse("""
        [gc]
        interval = "1h"
        after-imports = "1"
        min-interval = "1s"
        [[gc.rule]]
        filters = ["description~=^junk"]
        """, "test.toml");
    svc.configure(c -> c.withGcPolicy(policy)).startService();
    String junk = layer("junk-1");
    String kept = layer("kept");
    String heldJunk = layer("junk-held");
    svc.ok("release", junk);
    svc.ok("release", kept);
    layer("trigger"); // an import: the policy runs (a second after its last run at the latest)
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (recordIds().contains(junk)) {
      assertThat(System.nanoTime()).as("the policy did not remove %s", junk).isLessThan(deadline);
      Thread.sleep(200);
    }
    assertThat(recordIds()).contains(kept, heldJunk);
  }

  @Test
  void duVerboseSaysWhatEachRuleWouldDoWithEachRefAndItsSizeTarget() throws Exception {
    svc = ServiceFixture.prepare();
    GcPolicy policy = GcPolicy.parse("""
        [gc]
        after-imports = "0"
        [[gc.rule]]
        keep-duration = "1h"
        max-used-space = "1GB"
        [[gc.rule]]
        filters = ["type==exec.cachemount"]
        """, "test.toml");
    svc.configure(c -> c.withGcPolicy(policy)).startService();
    String id = layer("explained");
    String held = svc.ok("du", "--verbose");
    assertThat(held).contains("GC:           rule 1: kept, in use").contains("GC:           rule 2: kept, in use");
    svc.ok("release", id);
    String released = svc.ok("du", "--verbose", "--filter", "id==" + id);
    assertThat(released).contains("GC:           rule 1: kept, used within 1h")
        .contains("GC:           rule 2: kept, does not match type==exec.cachemount");
    assertThat(held).contains("GC rule 1: keep 1h, max used 954 MiB; keeps at most 954 MiB"); // 1 GB
    assertThat(held).contains("GC rule 2: filters type==exec.cachemount; no size target");
  }
}
