package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.refcache.daemon.ServiceFixture;
import org.refcache.protocol.ControlProtocol;

/** The {@code refcache} command's parsing, output and exit statuses (DESIGN's contract). */
class CommandLineTest {

  /** Without a service. */
  @Nested
  class WithoutService {
    private final Map<String, String> env = Map.of("REFCACHE_SOCKET", "/nonexistent/refcache-test.sock");

    @Test
    void noSubcommandIsAUsageError() {
      ServiceFixture.Run r = ServiceFixture.run(env);
      assertThat(r.exit()).isEqualTo(2);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains("Usage: refcache");
    }

    @Test
    void unknownSubcommandsOptionsAndMissingArgumentsAreUsageErrors() {
      assertThat(ServiceFixture.run(env, "frobnicate").exit()).isEqualTo(2);
      assertThat(ServiceFixture.run(env, "ls", "--bogus").exit()).isEqualTo(2);
      assertThat(ServiceFixture.run(env, "import").exit()).isEqualTo(2);
      assertThat(ServiceFixture.run(env, "mount", "onlyanid").exit()).isEqualTo(2);
      assertThat(ServiceFixture.run(env, "commit", "a", "b").exit()).isEqualTo(2);
      assertThat(ServiceFixture.run(env, "ls", "--format", "yaml").exit()).isEqualTo(2);
    }

    @Test
    void laterIssuesCommandsDoNotExistYet() {
      for (String cmd : List.of("merge", "diff", "pull", "push", "export", "import-oci", "files")) {
        assertThat(ServiceFixture.run(env, cmd).exit()).as(cmd).isEqualTo(2);
      }
    }

    @Test
    void clientWithoutARunningServiceSaysSoAndExitsOne() {
      ServiceFixture.Run r = ServiceFixture.run(env, "ls");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err()).contains("refcache daemon is not running (socket /nonexistent/refcache-test.sock)");
    }

    @Test
    void socketOptionWinsOverTheEnvironment() {
      ServiceFixture.Run r = ServiceFixture.run(env, "ls", "--socket", "/nonexistent/other.sock");
      assertThat(r.err()).contains("/nonexistent/other.sock");
    }

    @Test
    void helpExitsZero() {
      ServiceFixture.Run r = ServiceFixture.run(env, "--help");
      assertThat(r.exit()).isEqualTo(0);
      assertThat(r.out()).contains("import", "new", "commit", "release", "path", "mount", "umount", "ls", "info");
    }
  }

  /** Against a running service. */
  @Nested
  class WithService {
    private static ServiceFixture svc;
    private static Path layer;

    @BeforeAll
    static void start() throws Exception {
      svc = ServiceFixture.start();
      layer = svc.dir.resolve("layer.tar");
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(layer))) {
        byte[] data = "x\n".getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry("x");
        e.setSize(data.length);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
      }
    }

    @AfterAll
    static void stop() throws Exception {
      if (svc != null) {
        svc.close();
      }
    }

    @Test
    void creatingCommandsPrintTheIdAloneOnStdout() {
      ServiceFixture.Run imported = svc.cli("import", layer.toString());
      assertThat(imported.exit()).isEqualTo(0);
      assertThat(imported.out()).matches("[0-9a-z]{25}\n");
      ServiceFixture.Run created = svc.cli("new", "--parent", imported.line());
      assertThat(created.out()).matches("[0-9a-z]{25}\n");
      ServiceFixture.Run committed = svc.cli("commit", created.line());
      assertThat(committed.out()).matches("[0-9a-z]{25}\n");
      assertThat(committed.err()).isEmpty();
    }

    @Test
    void jsonFormatPrintsExactlyOneDocument() throws Exception {
      String id = svc.ok("import", layer.toString());
      for (String[] args : List.of(new String[] {"ls"}, new String[] {"info", id}, new String[] {"path", id},
          new String[] {"new"}, new String[] {"import", layer.toString()})) {
        String[] withFormat = new String[args.length + 2];
        System.arraycopy(args, 0, withFormat, 0, args.length);
        withFormat[args.length] = "--format";
        withFormat[args.length + 1] = "json";
        ServiceFixture.Run r = svc.cli(withFormat);
        assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(0);
        try (var parser = ControlProtocol.JSON.createParser(r.out())) {
          JsonNode doc = ControlProtocol.JSON.readTree(parser);
          assertThat(doc).as(String.join(" ", args)).isNotNull();
          assertThat(parser.nextToken()).as("nothing after the document").isNull();
        }
      }
    }

    @Test
    void pathPrintsTheRefsDirectoryInTheMount() {
      String id = svc.ok("import", layer.toString());
      assertThat(svc.ok("path", id)).isEqualTo(svc.mountpoint.resolve("refs").resolve(id).toString());
    }

    @Test
    void unknownIdsExitThree() {
      for (String cmd : List.of("info", "path", "commit", "release")) {
        ServiceFixture.Run r = svc.cli(cmd, "0000000000000000000000000");
        assertThat(r.exit()).as(cmd).isEqualTo(3);
        assertThat(r.out()).as(cmd).isEmpty();
        assertThat(r.err()).as(cmd).contains("0000000000000000000000000");
      }
      assertThat(svc.cli("new", "--parent", "0000000000000000000000000").exit()).isEqualTo(3);
      assertThat(svc.cli("import", "--parent", "0000000000000000000000000", layer.toString()).exit()).isEqualTo(3);
      assertThat(svc.cli("import", svc.dir.resolve("no-such.tar").toString()).exit()).isEqualTo(3);
    }

    @Test
    void lockedRefsExitFour() {
      String mutable = svc.ok("new");
      ServiceFixture.Run r = svc.cli("new", "--parent", mutable);
      assertThat(r.exit()).isEqualTo(4);
      assertThat(r.err()).contains(mutable);
    }

    @Test
    void invalidRequestsExitTwo() {
      String id = svc.ok("import", layer.toString());
      assertThat(svc.cli("commit", id).exit()).as("commit of an immutable").isEqualTo(2);
      assertThat(svc.cli("info", "../etc").exit()).as("not an ID").isEqualTo(2);
      assertThat(svc.cli("import", svc.dir.toString()).exit()).as("a directory").isEqualTo(2);
    }

    @Test
    void lsListsRefsWithAHeader() throws Exception {
      // A layer of its own: importing a blob chain that exists gives the existing ref, description and all.
      Path own = svc.dir.resolve("listed.tar");
      try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(own))) {
        TarArchiveEntry e = new TarArchiveEntry("listed/", TarArchiveEntry.LF_DIR);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
      }
      String id = svc.ok("import", "--description", "listed layer", own.toString());
      String out = svc.ok("ls");
      assertThat(out.lines().findFirst()).hasValueSatisfying(h -> assertThat(h).startsWith("ID").contains("DESCRIPTION"));
      assertThat(out).contains(id).contains("listed layer");
    }
  }
}
