package org.refcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The client commands speak the control protocol ({@code org.refcache.protocol}) and know nothing of the
 * service's classes: only {@code refcache daemon}, which starts the service, names the daemon package;
 * and the protocol itself names neither side.
 */
class ClientDependenciesTest {

  private static final Path SOURCES = Path.of("src/main/java/org/refcache");
  private static final Pattern NAMES_DAEMON = Pattern.compile("\\borg\\.refcache\\.daemon\\b");
  private static final Pattern NAMES_A_SIDE = Pattern.compile("\\borg\\.refcache\\.(daemon|cli)\\b");
  private static final Pattern NAMES_HEAVY = Pattern.compile(
      "\\b(com\\.fasterxml\\.jackson\\.databind|org\\.slf4j|ch\\.qos)\\b|\\bControlProtocol\\.(JSON|object|request)\\b");

  @Test
  void onlyTheDaemonCommandNamesTheDaemonPackage() throws IOException {
    assertThat(SOURCES).as("run from the module's directory").isDirectory();
    assertThat(naming(SOURCES.resolve("cli"), NAMES_DAEMON)).containsExactly("DaemonCommand.java");
  }

  /**
   * A client command is a short JVM run: Jackson's data binding and the logging library would each
   * cost more than the JVM's start (docs/PERFORMANCE.md), so the client reads and writes JSON with
   * {@code JsonValue} and never logs. ClientStartTest checks the classes a client run loads.
   */
  @Test
  void onlyTheDaemonCommandNamesDataBindingOrLogging() throws IOException {
    assertThat(naming(SOURCES.resolve("cli"), NAMES_HEAVY)).containsExactly("DaemonCommand.java");
  }

  @Test
  void theProtocolNamesNeitherTheClientNorTheService() throws IOException {
    assertThat(naming(SOURCES.resolve("protocol"), NAMES_A_SIDE)).isEmpty();
  }

  private static List<String> naming(Path dir, Pattern pattern) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> !f.getFileName().toString().equals("package-info.java"))
          .filter(f -> pattern.matcher(read(f)).find())
          .map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static String read(Path source) {
    try {
      return Files.readString(source);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
