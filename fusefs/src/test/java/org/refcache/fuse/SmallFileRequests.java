package org.refcache.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.refcache.fuse.kernel.FuseKernel;

/**
 * Which requests small-file workloads send to the view, per opcode (issue 14): a read-only ref of
 * {@code DIRS x FILES} files of 4 KiB, walked with {@code find} and read with {@code tar -c} into
 * a pipe, cold (a new mount: nothing of it in the kernel) and warm (again), once with opens
 * answered per request and once with {@link FuseOptions#opensWithoutRequests}. The same commands on
 * the layer directory itself (ext4) time the kernel's own path; medians of {@code RUNS}.
 *
 * <p>Run (root: it mounts) with the test classpath:
 * {@code java -cp ... org.refcache.fuse.SmallFileRequests /var/tmp/dir [dirs files runs]}.
 */
public final class SmallFileRequests {

  private static final Map<String, Integer> OPCODES = new LinkedHashMap<>();
  /** The big file's size: its first read shows what READ requests cost without passthrough. */
  private static final int BIG_MIB = 512;

  static {
    OPCODES.put("LOOKUP", FuseKernel.LOOKUP);
    OPCODES.put("GETATTR", FuseKernel.GETATTR);
    OPCODES.put("OPEN", FuseKernel.OPEN);
    OPCODES.put("READ", FuseKernel.READ);
    OPCODES.put("RELEASE", FuseKernel.RELEASE);
    OPCODES.put("FLUSH", FuseKernel.FLUSH);
    OPCODES.put("OPENDIR", FuseKernel.OPENDIR);
    OPCODES.put("READDIRPLUS", FuseKernel.READDIRPLUS);
    OPCODES.put("READDIR", FuseKernel.READDIR);
    OPCODES.put("RELEASEDIR", FuseKernel.RELEASEDIR);
    OPCODES.put("GETXATTR", FuseKernel.GETXATTR);
  }

  private SmallFileRequests() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int dirs = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int files = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int runs = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    Files.createDirectories(dir);
    byte[] content = new byte[4096];
    for (boolean noOpens : new boolean[] {false, true}) {
      Path work = Files.createTempDirectory(dir, noOpens ? "no-open-" : "open-");
      try (ViewFixture view = new ViewFixture(work)) {
        Path layer = view.layer("l");
        for (int d = 0; d < dirs; d++) {
          Path sub = Files.createDirectories(layer.resolve("d" + d));
          for (int f = 0; f < files; f++) {
            Files.write(sub.resolve("f" + f), content);
          }
        }
        Path big = layer.resolve("big");
        try (var out = Files.newOutputStream(big)) {
          byte[] block = new byte[1 << 20];
          new java.util.Random(1).nextBytes(block);
          for (int i = 0; i < BIG_MIB; i++) {
            out.write(block);
          }
        }
        view.addReadOnly("ro", layer);
        FuseMount mount = view.mountAsGiven(FuseOptions.defaults().withOpensWithoutRequests(noOpens));
        Path ref = view.ref("ro");
        String mode = noOpens ? "opens without requests" : "opens with requests";
        System.out.printf("%n== %s: %d files (%d directories)%n", mode, dirs * files, dirs);
        counted(mount, mode + ", find, cold", List.of("find", ref.toString(), "-printf", "%s\n"));
        counted(mount, mode + ", find, warm", List.of("find", ref.toString(), "-printf", "%s\n"));
        counted(mount, mode + ", tar -c, first (page cache of the layer warm)",
            List.of("sh", "-c", "tar -cf - -C " + ref + " --exclude=./big . | cat > /dev/null"));
        counted(mount, mode + ", tar -c, warm",
            List.of("sh", "-c", "tar -cf - -C " + ref + " --exclude=./big . | cat > /dev/null"));
        List<String> readBig = List.of("dd", "if=" + ref.resolve("big"), "of=/dev/null", "bs=1M", "status=none");
        counted(mount, mode + ", " + BIG_MIB + " MiB file, first read (layer file cached)", readBig);
        counted(mount, mode + ", " + BIG_MIB + " MiB file, again", readBig);
        List<Double> bv = new ArrayList<>();
        List<Double> bk = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          bv.add(time(readBig));
          bk.add(time(List.of("dd", "if=" + big, "of=/dev/null", "bs=1M", "status=none")));
        }
        System.out.printf("%s, warm read of %d MiB: view %.3f s, ext4 %.3f s, ratio %.2f%n", mode,
            BIG_MIB, median(bv), median(bk), median(bv) / median(bk));
        // The first read again and again: FUSE's pages of the file dropped, the layer's kept (with
        // passthrough there are no FUSE pages: it reads the layer's, as a warm read does).
        List<Double> fv = new ArrayList<>();
        long readsBefore = mount.served(FuseKernel.READ);
        for (int i = 0; i < runs; i++) {
          drop(ref.resolve("big"));
          fv.add(time(readBig));
        }
        System.out.printf("%s, first read of %d MiB (FUSE's pages dropped, the layer's cached): "
            + "view %.3f s, ext4 warm %.3f s, ratio %.2f, READ requests per read %d%n", mode,
            BIG_MIB, median(fv), median(bk), median(fv) / median(bk),
            (mount.served(FuseKernel.READ) - readsBefore) / runs);
        for (String what : List.of("find", "tar")) {
          List<String> onView = command(what, ref);
          List<String> onLayer = command(what, layer);
          List<Double> v = new ArrayList<>();
          List<Double> k = new ArrayList<>();
          for (int i = 0; i < runs; i++) {
            v.add(time(onView));
            k.add(time(onLayer));
          }
          double mv = median(v);
          double mk = median(k);
          System.out.printf("%s, warm %s: view %.3f s, ext4 %.3f s, ratio %.2f (runs %s / %s)%n",
              mode, what, mv, mk, mv / mk, v, k);
        }
      }
    }
  }

  /** Drops the page cache of {@code file} ({@code POSIX_FADV_DONTNEED}). */
  private static void drop(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("python3", "-c", "import os,sys; fd=os.open(sys.argv[1], "
        + "os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)", file.toString())
        .inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException("fadvise of " + file + " failed");
    }
  }

  private static List<String> command(String what, Path root) {
    return what.equals("find")
        ? List.of("sh", "-c", "find " + root + " -printf '%s\\n' > /dev/null")
        : List.of("sh", "-c", "tar -cf - -C " + root + " --exclude=./big . | cat > /dev/null");
  }

  private static void counted(FuseMount mount, String label, List<String> command)
      throws IOException, InterruptedException {
    long[] before = new long[64];
    for (int i = 0; i < 64; i++) {
      before[i] = mount.served(i);
    }
    double seconds = time(command);
    StringBuilder line = new StringBuilder(String.format("%s: %.3f s;", label, seconds));
    long total = 0;
    for (int i = 0; i < 64; i++) {
      total += mount.served(i) - before[i];
    }
    for (Map.Entry<String, Integer> op : OPCODES.entrySet()) {
      long n = mount.served(op.getValue()) - before[op.getValue()];
      if (n > 0) {
        line.append(' ').append(op.getKey()).append(' ').append(n);
      }
    }
    line.append("; all ").append(total);
    System.out.println(line);
  }

  private static double time(List<String> command) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (p.waitFor() != 0) {
      throw new IOException(command + " failed");
    }
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
