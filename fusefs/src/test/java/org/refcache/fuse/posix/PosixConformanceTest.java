package org.refcache.fuse.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.fuse.FuseOptions;
import org.refcache.fuse.ViewFixture;
import org.refcache.posix.Posix;

/**
 * POSIX conformance of a mutable ref's tree, measured against ext4 (issue 4: "passes as it does on
 * ext4; the bar is ext4's result, not 'most tests'").
 *
 * <p>The suite is {@code posix/posix.pl}: several hundred small numbered checks in the spirit of
 * pjdfstest (open, create, mkdir, mkfifo, mknod, chmod, chown, link, unlink, rmdir, rename,
 * symlink, truncate, utimensat, xattrs, I/O, readdir, link counts, long and odd names), most of
 * them run twice, on entries the script makes and on entries that exist only in a lower layer,
 * where copy-up happens; then permission checks as an unprivileged user; then a listing of the
 * whole tree. The script builds the starting tree: two lower layers by hand (whiteouts, opaque
 * directories, directories merged across both layers, hard links inside a layer) and the same
 * content flattened into a plain ext4 directory. It runs in that directory and in a writable tree
 * over the two layers served through the real FUSE view, as root and as uid 65534, and the two
 * outputs must be identical line by line.
 *
 * <p>The suite runs on both transports. Checks the view cannot pass for a reason outside this code
 * base are left out of the comparison by id, each with the limit that explains it: on both
 * ({@link #EXCLUDED}), and under libfuse 2.9 only ({@link #LIBFUSE_EXCLUDED}); the script still
 * runs them, so their lines stay in the saved outputs.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class PosixConformanceTest {

  /** The unprivileged user of the second phase (nobody/nogroup on Debian). */
  private static final int USER = 65534;

  private static final long PHASE_TIMEOUT_SECONDS = 300;

  /** Fewer numbered check lines on ext4 than this means the suite itself broke. */
  private static final int MIN_CHECKS = 150;

  /** Checks left out of the comparison: id -> the limit that explains the difference. */
  static final Map<String, String> EXCLUDED = excluded();

  /** Checks left out of the comparison under libfuse 2.9 only, with the limit of libfuse's. */
  static final Map<String, String> LIBFUSE_EXCLUDED = libfuseExcluded();

  private static Map<String, String> excluded() {
    Map<String, String> limits = new LinkedHashMap<>();
    // The overlay format the uppers keep (an upper is a valid overlayfs upperdir, DESIGN.md):
    // a character device 0/0 is a whiteout, so the tree refuses to make one (EPERM).
    limit(limits, "overlay format: a 0/0 character device is a whiteout", "mk.35");
    return limits;
  }

  private static Map<String, String> libfuseExcluded() {
    Map<String, String> limits = new LinkedHashMap<>();
    // Its high-level rename has no flags; the kernel gets ENOSYS for RENAME2 and answers EINVAL
    // from then on. (RENAME_NOREPLACE over an existing name, rename.25, still passes: the kernel
    // refuses that one itself.)
    limit(limits, "libfuse 2.9: no renameat2 flags", "rename.26", "rename.27");
    // chown(-1, -1) only changes the ctime: libfuse 2.9's protocol has no ctime in SETATTR, its
    // high-level setattr has nothing to call, and the view never hears of it.
    limit(limits, "libfuse 2.9: a ctime-only setattr does not reach the file system", "chown.05");
    // Its path-based API gives each name of a hard-linked file its own kernel inode, so after a
    // change through one name the kernel keeps the other names' attributes (link count, ctime,
    // mode, size, which also bounds reads) for up to the attribute timeout
    // (FuseOptions.DEFAULT_ATTR_TIMEOUT, 1 s). Each of these checks has a twin "<id>s" that the
    // script runs after that timeout, and the twins are compared.
    limit(limits, "libfuse 2.9: hard links are separate kernel inodes, stale for attr_timeout",
        "link.01", "link.02", "link.04", "link.05", "link.13", "link.14", "link.18", "link.20",
        "link.21", "unlink.03", "rename.06");
    // An O_TRUNC open by a caller without CAP_FSETID must drop setuid; the kernel leaves that to a
    // server that handles it (FUSE_HANDLE_KILLPRIV_V2), and libfuse 2.9 cannot say it does.
    limit(limits, "libfuse 2.9: an O_TRUNC open keeps setuid", "permN.46", "permL.46",
        "final:./N/perm/suid3", "final:./L/perm/suid3");
    return limits;
  }

  private static void limit(Map<String, String> limits, String why, String... ids) {
    for (String id : ids) {
      limits.put(id, why);
    }
  }

  private final FuseOptions.Transport transport;

  PosixConformanceTest(FuseOptions.Transport transport) {
    this.transport = transport;
  }

  @TempDir
  Path tmp;
  private ViewFixture view;

  @AfterEach
  void unmount() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  @Test
  void aWritableRefPassesTheSuiteAsExt4Does() throws Exception {
    runSuite(FuseOptions.defaults(), "cached");
  }

  /**
   * The same with the kernel caching nothing (every stat asks the view): a difference that the
   * attribute cache would hide only while it is valid (on a busy machine it expires between two
   * steps of a check) shows here every time.
   */
  @Test
  void aWritableRefPassesTheSuiteWithoutKernelCaching() throws Exception {
    runSuite(FuseOptions.defaults().withTimeouts(Duration.ZERO, Duration.ZERO), "uncached");
  }

  /**
   * The same with opens answered per request (the kernel transport's other mode; the default
   * lets the kernel open files without requests, so files are read and written by node, an
   * unlinked file is kept while the kernel holds its node, and {@code O_TRUNC} arrives as a
   * SETATTR).
   */
  @Test
  void aWritableRefPassesTheSuiteWhenOpensTakeRequests() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(transport == FuseOptions.Transport.KERNEL,
        "a mode of the kernel transport");
    runSuite(FuseOptions.defaults().withOpensWithoutRequests(false), "with-opens");
  }

  private void runSuite(FuseOptions defaults, String variant) throws Exception {
    FuseOptions options = defaults.withTransport(transport);
    String savedAs = transport.name().toLowerCase(java.util.Locale.ROOT) + "-" + variant;
    long start = System.nanoTime();
    Posix.chmod(tmp, 0755); // the unprivileged user must reach both trees
    Path script = Files.createDirectories(tmp.resolve("suite")).resolve("posix.pl");
    try (InputStream in = PosixConformanceTest.class.getResourceAsStream("/posix/posix.pl")) {
      assertThat(in).as("posix/posix.pl on the test class path").isNotNull();
      Files.copy(in, script);
    }
    Posix.chmod(script, 0644);
    Path lo = Files.createDirectories(tmp.resolve("layers/lo"));
    Path hi = Files.createDirectories(tmp.resolve("layers/hi"));
    Path upper = Files.createDirectories(tmp.resolve("uppers/w"));
    Path ext4 = Files.createDirectories(tmp.resolve("ext4"));
    Run build = run(false, "perl", script, "build", lo, hi, ext4, upper);
    assertThat(build.exit).as("building the starting tree: " + build.stderr).isZero();

    view = new ViewFixture(tmp);
    assertThat(view.addWritable("w", hi, lo).upper()).isEqualTo(upper.toAbsolutePath());
    view.mountAsGiven(options);

    List<String> onExt4 = suite(script, ext4);
    List<String> onFuse = suite(script, view.ref("w"));
    save(savedAs + "-ext4.txt", onExt4);
    save(savedAs + "-fuse.txt", onFuse);
    System.out.printf("POSIX suite (%s, %s): %d lines on ext4, %d through FUSE, %.1f s in all%n",
        transport, variant, onExt4.size(), onFuse.size(), (System.nanoTime() - start) / 1e9);

    // Numbered checks only: the listings of the whole tree ("tree0:<path>", "final:<path>") are
    // extra, so that a suite broken early cannot pass on its listings.
    List<String> checks = onExt4.stream()
        .filter(line -> !line.startsWith("!") && !id(line).contains(":")).toList();
    assertThat(checks.size()).as("numbered check lines on ext4")
        .isGreaterThanOrEqualTo(MIN_CHECKS);
    assertThat(onExt4).as("setup failures or errors on ext4").noneMatch(l -> l.startsWith("!"));
    Map<String, String> excluded = excluded(transport);
    for (String id : excluded.keySet()) {
      assertThat(onExt4).as("excluded check " + id + " still exists").anyMatch(
          line -> id(line).equals(id));
    }
    List<String> expected = compared(onExt4, excluded);
    List<String> actual = compared(onFuse, excluded);
    if (!expected.equals(actual)) {
      fail("the FUSE view (" + transport + ") differs from ext4 (- ext4, + FUSE):\n"
          + diff(expected, actual));
    }
  }

  /** The three phases in {@code dir}: root, the unprivileged user, the final listing as root. */
  private List<String> suite(Path script, Path dir) throws Exception {
    List<String> lines = new ArrayList<>();
    lines.addAll(phase(false, script, "root", dir));
    lines.addAll(phase(true, script, "user", dir));
    lines.addAll(phase(false, script, "final", dir));
    return lines;
  }

  private List<String> phase(boolean asUser, Path script, String name, Path dir) throws Exception {
    Run run = run(asUser, "perl", script, name, dir);
    List<String> lines = new ArrayList<>(run.stdout.lines().toList());
    if (run.exit != 0 || !run.stderr.isEmpty()) {
      lines.add("!exit " + name + " " + run.exit + ": " + run.stderr.strip().replace('\n', '|'));
    }
    return lines;
  }

  private record Run(int exit, String stdout, String stderr) {
  }

  private Run run(boolean asUser, Object... command) throws Exception {
    List<String> args = new ArrayList<>();
    if (asUser) {
      args.addAll(List.of("setpriv", "--reuid=" + USER, "--regid=" + USER, "--clear-groups"));
    }
    for (Object part : command) {
      args.add(part.toString());
    }
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    ProcessBuilder builder = new ProcessBuilder(args).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().put("LC_ALL", "C");
    builder.environment().put("TZ", "UTC");
    Process process = builder.start();
    if (!process.waitFor(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail(String.join(" ", args) + " did not finish in " + PHASE_TIMEOUT_SECONDS + " s");
    }
    // Output is bytes escaped to ASCII by the script; ISO-8859-1 keeps any stray byte as is.
    return new Run(process.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
        Files.readString(err, StandardCharsets.ISO_8859_1));
  }

  private static String id(String line) {
    int space = line.indexOf(' ');
    return space < 0 ? line : line.substring(0, space);
  }

  /** The checks left out of the comparison on {@code transport}. */
  static Map<String, String> excluded(FuseOptions.Transport transport) {
    Map<String, String> all = new LinkedHashMap<>(EXCLUDED);
    if (transport == FuseOptions.Transport.LIBFUSE) {
      all.putAll(LIBFUSE_EXCLUDED);
    }
    return all;
  }

  private static List<String> compared(List<String> lines, Map<String, String> excluded) {
    return lines.stream().filter(line -> !excluded.containsKey(id(line))).toList();
  }

  /** Both outputs next to the build's other test logs, for reading after a failure. */
  private static void save(String name, List<String> lines) throws IOException {
    String logDir = System.getProperty("refcache.testLogDir");
    if (logDir != null) {
      Path dir = Files.createDirectories(Path.of(logDir, "posix-conformance"));
      Files.write(dir.resolve(name), lines, StandardCharsets.ISO_8859_1);
    }
  }

  /** A line diff (longest common subsequence) with two lines of context around each change. */
  static String diff(List<String> a, List<String> b) {
    int n = a.size();
    int m = b.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1
            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> ops = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a.get(i).equals(b.get(j))) {
        ops.add("  " + a.get(i++));
        j++;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        ops.add("+ " + b.get(j++));
      } else {
        ops.add("- " + a.get(i++));
      }
    }
    boolean[] shown = new boolean[ops.size()];
    for (int k = 0; k < ops.size(); k++) {
      if (!ops.get(k).startsWith("  ")) {
        for (int c = Math.max(0, k - 2); c <= Math.min(ops.size() - 1, k + 2); c++) {
          shown[c] = true;
        }
      }
    }
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < ops.size(); k++) {
      if (shown[k]) {
        if (k > 0 && !shown[k - 1] && out.length() > 0) {
          out.append("  ...\n");
        }
        out.append(ops.get(k)).append('\n');
      }
    }
    return out.toString();
  }
}
