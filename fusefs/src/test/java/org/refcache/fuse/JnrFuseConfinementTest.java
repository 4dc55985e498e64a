package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jnr-fuse is the libfuse transport's alone: no other source of the module names it, so the view
 * and the kernel transport cannot come to depend on it again (their classes loading it at run time
 * is {@link KernelTransportWithoutLibfuseTest}'s to check).
 */
class JnrFuseConfinementTest {

  private static final Path SOURCES = Path.of("src/main/java");
  private static final Path LIBFUSE = SOURCES.resolve("org/refcache/fuse/libfuse");

  @Test
  void onlyTheLibfusePackageNamesJnrFuse() throws IOException {
    assertThat(SOURCES).as("run from the module's directory").isDirectory();
    List<Path> naming;
    try (Stream<Path> files = Files.walk(SOURCES)) {
      naming = files.filter(f -> f.toString().endsWith(".java") && !f.startsWith(LIBFUSE))
          .filter(JnrFuseConfinementTest::namesJnrFuse).toList();
    }
    assertThat(naming).isEmpty();
    try (Stream<Path> files = Files.list(LIBFUSE)) {
      assertThat(files.filter(JnrFuseConfinementTest::namesJnrFuse)).isNotEmpty();
    }
  }

  private static boolean namesJnrFuse(Path source) {
    try {
      return Files.readString(source).contains("ru.serce.jnrfuse");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
