package org.refcache.fuse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;

/**
 * A child JVM for {@link KernelTransportWithoutLibfuseTest}: mounts the view with the daemon's
 * options (the kernel transport) under {@code args[0]}, reads a read-only ref's file and writes
 * into a writable ref through it, says which shared libraries named libfuse it has mapped, and
 * unmounts. Prints what it saw, one fact a line; exits 0 only if everything was served. With
 * {@code libfuse} as a second argument it asks for the libfuse transport instead and prints why
 * that failed.
 */
final class KernelOnlyMount {

  private KernelOnlyMount() {
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    if (args.length > 1 && args[1].equals("libfuse")) {
      askForLibfuse(dir);
      return;
    }
    Path layer = Files.createDirectories(dir.resolve("layer"));
    Files.writeString(layer.resolve("f"), "from the layer");
    Path upper = Files.createDirectories(dir.resolve("upper"));
    Path mountpoint = Files.createDirectories(dir.resolve("mnt"));
    TestRefSource source = new TestRefSource()
        .add("ro", new OverlayTree(List.of(layer)))
        .add("w", new WritableOverlayTree(upper, List.of(layer)));
    try (FuseMount mount = FuseMount.mount(source, mountpoint, FuseOptions.defaults())) {
      System.out.println("transport: " + mount.transport());
      Path refs = mountpoint.resolve("refs");
      System.out.println("read: " + Files.readString(refs.resolve("ro/f")));
      Files.writeString(refs.resolve("w/new"), "written");
      System.out.println("written: " + Files.readString(upper.resolve("new")));
      List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
          .filter(line -> line.contains("libfuse")).toList();
      System.out.println("libfuse mapped: " + (mapped.isEmpty() ? "none" : mapped));
    }
    System.out.println("unmounted");
  }

  /** Asks for the libfuse transport and prints why it could not mount. */
  private static void askForLibfuse(Path dir) throws Exception {
    Path mountpoint = Files.createDirectories(dir.resolve("mnt"));
    try (FuseMount mount = FuseMount.mount(new TestRefSource(), mountpoint,
        FuseOptions.defaults().withTransport(FuseOptions.Transport.LIBFUSE))) {
      System.out.println("mounted with " + mount.transport());
    } catch (java.io.IOException e) {
      System.out.println("refused: " + e.getMessage());
    }
  }
}
