package org.refcache.daemon;

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
}
