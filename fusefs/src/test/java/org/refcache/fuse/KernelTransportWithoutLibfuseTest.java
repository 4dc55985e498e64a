package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.testing.Mounts;

/**
 * The kernel transport (the default) starts and serves on a host without libfuse 2.9: jnr-fuse
 * and libfuse are the libfuse transport's alone, loaded only when it is chosen. Each test mounts
 * in a JVM of its own ({@link KernelOnlyMount}), which logs every class it loads.
 */
class KernelTransportWithoutLibfuseTest {

  private static final long TIMEOUT_SECONDS = 120;

  @TempDir
  Path tmp;

  @AfterEach
  void noMountLeftBehind() throws IOException {
    assertThat(Mounts.detachAllUnder(tmp)).as("mounts left behind").isEmpty();
  }

  @Test
  void noJnrFuseOrLibfuseClassNorLibfuseItselfIsLoadedThoughAvailable() throws Exception {
    Child child = mount(System.getProperty("java.class.path"));

    assertServed(child);
    assertThat(child.loadedClasses()).as("classes loaded")
        .contains("org.refcache.fuse.KernelBridge", "org.refcache.fuse.RefFileSystem")
        .noneMatch(name -> name.startsWith("ru.serce.jnrfuse."))
        .noneMatch(name -> name.startsWith("org.refcache.fuse.libfuse."));
  }

  @Test
  void itStartsAndServesWithJnrFuseMissingFromTheClassPath() throws Exception {
    Child child = mount(withoutJnrFuse());

    assertServed(child);
  }

  @Test
  void askingForLibfuseWithoutJnrFuseFailsSayingWhatIsMissing() throws Exception {
    Child child = mount(withoutJnrFuse(), "libfuse");

    assertThat(child.exit()).as("exit status; output:\n" + child.output()).isZero();
    assertThat(child.output()).contains("refused: the libfuse transport is not available "
        + "(it needs jnr-fuse and libfuse 2.9)");
  }

  private static String withoutJnrFuse() {
    String full = System.getProperty("java.class.path");
    String without = Arrays.stream(full.split(File.pathSeparator))
        .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("jnr-fuse"))
        .collect(Collectors.joining(File.pathSeparator));
    assertThat(without).as("jnr-fuse was on the class path").isNotEqualTo(full);
    return without;
  }

  private static void assertServed(Child child) {
    assertThat(child.exit()).as("exit status; output:\n" + child.output()).isZero();
    assertThat(child.output()).contains("transport: KERNEL", "read: from the layer",
        "written: written", "libfuse mapped: none", "unmounted");
  }

  /** What a child JVM printed, how it ended, and the log of the classes it loaded. */
  private record Child(int exit, String output, Path classLog) {
    List<String> loadedClasses() throws IOException {
      List<String> names = new ArrayList<>();
      for (String line : Files.readAllLines(classLog, StandardCharsets.UTF_8)) {
        // "[0.012s][info][class,load] java.lang.Object source: shared objects file"
        int start = line.indexOf("[class,load] ");
        if (start >= 0) {
          String rest = line.substring(start + "[class,load] ".length());
          int space = rest.indexOf(' ');
          names.add(space < 0 ? rest : rest.substring(0, space));
        }
      }
      return names;
    }
  }

  private Child mount(String classPath, String... more) throws Exception {
    Path classLog = tmp.resolve("classes.log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:file=" + classLog,
        "-Dfile.encoding=ISO-8859-1"));
    String logback = System.getProperty("logback.configurationFile");
    if (logback != null) {
      command.add("-Dlogback.configurationFile=" + logback);
    }
    command.addAll(List.of("-cp", classPath, KernelOnlyMount.class.getName(),
        Files.createDirectories(tmp.resolve("view")).toString()));
    command.addAll(List.of(more));
    Path output = tmp.resolve("output.txt");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("the child JVM did not finish in " + TIMEOUT_SECONDS + " s:\n"
          + Files.readString(output, StandardCharsets.ISO_8859_1));
    }
    return new Child(process.exitValue(), Files.readString(output, StandardCharsets.ISO_8859_1),
        classLog);
  }
}
