package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refcache.daemon.ServiceFixture;

/**
 * A client command is a short JVM run: it loads neither Logback, Jackson's data binding nor picocli
 * (PlainArguments binds its arguments), which would cost it more than the JVM's own start. Checked in a
 * JVM of its own, from the classes it loads, against a running service.
 */
class ClientStartTest {
  private static ServiceFixture svc;
  private static String layerId;

  @BeforeAll
  static void start() throws Exception {
    svc = ServiceFixture.start();
    Path layer = svc.dir.resolve("layer.tar");
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(layer))) {
      byte[] data = "x\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry e = new TarArchiveEntry("x");
      e.setSize(data.length);
      out.putArchiveEntry(e);
      out.write(data);
      out.closeArchiveEntry();
    }
    layerId = svc.ok("import", "--description", "the layer", layer.toString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (svc != null) {
      svc.close();
    }
  }

  /** What one client run printed and which classes it loaded. */
  private record Started(int exit, String out, List<String> classes) {}

  private static Started client(String... args) throws IOException, InterruptedException {
    Path log = Files.createTempFile(svc.dir, "classes", ".log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:file=" + log, "-cp", args[0].startsWith("-") ? fullClassPath() : clientClassPath(),
        "org.refcache.cli.Main"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    List<String> classes = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      // [0.012s][info][class,load] java.lang.Object source: shared objects file
      String[] words = line.split(" ");
      if (words.length > 1) {
        classes.add(words[1]);
      }
    }
    return new Started(exit, out, classes);
  }

  private static String fullClassPath() {
    return System.getProperty("java.class.path");
  }

  /**
   * The class path scripts/refcache gives client subcommands: this module's classes, the native
   * module's, jackson-core and picocli; nothing else.
   */
  private static String clientClassPath() {
    List<String> kept = new ArrayList<>();
    for (String entry : fullClassPath().split(File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      boolean ours = entry.endsWith("fusefs/target/classes") || entry.contains("/native/target/")
          || name.startsWith("refcache-native-");
      if (ours || name.startsWith("jackson-core-") || name.startsWith("picocli-")) {
        kept.add(entry);
      }
    }
    assertThat(kept).as("the client's class path from %s", fullClassPath()).hasSize(4);
    return String.join(File.pathSeparator, kept);
  }

  private static String[] withSocket(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--socket", svc.socket.toString()));
    return all.toArray(String[]::new);
  }

  private static List<String> from(List<String> classes, String prefix) {
    return classes.stream().filter(c -> c.startsWith(prefix)).toList();
  }

  @Test
  void clientCommandsLoadNoLoggingDataBindingOrPicocli() throws Exception {
    for (String[] args : List.of(new String[] {"ls"}, new String[] {"info", layerId, "--format", "json"},
        new String[] {"du", "-v"})) {
      Started s = client(withSocket(args));
      assertThat(s.exit()).as(String.join(" ", args)).isZero();
      assertThat(s.out()).as(String.join(" ", args)).contains(layerId);
      assertThat(from(s.classes(), "com.fasterxml.jackson.core.")).as("JSON was read").isNotEmpty();
      assertThat(from(s.classes(), "ch.qos.logback.")).as(String.join(" ", args)).isEmpty();
      assertThat(from(s.classes(), "org.slf4j.")).as(String.join(" ", args)).isEmpty();
      assertThat(from(s.classes(), "com.fasterxml.jackson.databind.")).as(String.join(" ", args)).isEmpty();
      assertThat(from(s.classes(), "picocli.")).as(String.join(" ", args)).isEmpty();
    }
  }

  @Test
  void theLauncherGivesTheClientClassPathToEveryClientSubcommandAndNothingElse() throws IOException {
    String script = Files.readString(Path.of("../scripts/refcache"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\n\\s*([a-z|-]+)\\)\\s*\\n\\s*classpath=\"\\$client_classpath\"")
        .matcher(script);
    assertThat(m.find()).as("the case of client subcommands in scripts/refcache").isTrue();
    List<String> clients = new ArrayList<>(List.of(Main.SUBCOMMANDS));
    clients.remove("daemon");
    assertThat(m.group(1).split("\\|")).containsExactlyInAnyOrderElementsOf(clients);
  }

  @Test
  void argumentsOnlyPicocliReadsStillWork() throws Exception {
    // Help is picocli's: it loads it (so the check above can see picocli), and still no logging.
    Started help = client(withSocket("ls", "--help"));
    assertThat(help.exit()).isEqualTo(2); // client commands have no --help option: a usage error
    assertThat(from(help.classes(), "picocli.")).isNotEmpty();
    assertThat(from(help.classes(), "ch.qos.logback.")).isEmpty();
    Started top = client("--help");
    assertThat(top.exit()).isZero();
    assertThat(top.out()).contains("Usage: refcache", "pull", "push", "daemon");
    assertThat(from(top.classes(), "ch.qos.logback.")).isEmpty();
  }
}
