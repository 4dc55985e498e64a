package org.refcache.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Images built and moved by tools no one here wrote (Debian's {@code umoci} and {@code skopeo}), each
 * run with a private home and temporary directory under {@code work}: an image layout built one layer
 * per {@link Layer} step, pushed to a registry, copied back and unpacked.
 */
public final class ImageTools {
  public static final Path UMOCI = Path.of("/usr/bin/umoci");
  public static final Path SKOPEO = Path.of("/usr/bin/skopeo");

  private final Path work;
  private int runs;

  public ImageTools(Path work) throws IOException {
    this.work = Files.createDirectories(work);
  }

  /** Changes a root filesystem; each step becomes one layer. */
  @FunctionalInterface
  public interface Layer {
    void apply(Path rootfs) throws IOException;
  }

  /** Builds {@code layout:tag} with one layer per step, bottom first ({@code umoci new}, then a repack per step). */
  public void build(Path layout, String tag, List<Layer> layers) throws IOException {
    String image = layout + ":" + tag;
    if (!Files.exists(layout.resolve("index.json"))) {
      run(UMOCI.toString(), "init", "--layout", layout.toString());
    }
    run(UMOCI.toString(), "new", "--image", image);
    Path bundle = work.resolve("bundle-" + runs);
    run(UMOCI.toString(), "unpack", "--image", image, bundle.toString());
    for (Layer l : layers) {
      l.apply(bundle.resolve("rootfs"));
      run(UMOCI.toString(), "repack", "--refresh-bundle", "--image", image, bundle.toString());
    }
  }

  /** Unpacks {@code layout:tag} into {@code bundle}; returns its root filesystem. */
  public Path unpack(Path layout, String tag, Path bundle) throws IOException {
    run(UMOCI.toString(), "unpack", "--image", layout + ":" + tag, bundle.toString());
    return bundle.resolve("rootfs");
  }

  /** {@code skopeo copy} of {@code layout:tag} to {@code docker://image} over plain HTTP, with {@code creds} (user:password) or none. */
  public void push(Path layout, String tag, String image, String creds) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(SKOPEO.toString(), "--insecure-policy", "copy", "--dest-tls-verify=false"));
    if (creds != null) {
      cmd.add("--dest-creds");
      cmd.add(creds);
    }
    cmd.add("oci:" + layout + ":" + tag);
    cmd.add("docker://" + image);
    run(cmd.toArray(String[]::new));
  }

  /** {@code skopeo copy} of {@code docker://image} to {@code layout:tag} over plain HTTP. */
  public void pull(String image, Path layout, String tag) throws IOException {
    run(SKOPEO.toString(), "--insecure-policy", "copy", "--src-tls-verify=false", "docker://" + image,
        "oci:" + layout + ":" + tag);
  }

  /** {@code skopeo inspect --raw} or {@code --config} output of {@code docker://image}. */
  public String inspect(String image, String what) throws IOException {
    return run(SKOPEO.toString(), "--insecure-policy", "inspect", what, "--tls-verify=false", "docker://" + image);
  }

  /** Runs a command; returns its stdout, failing with its stderr on a non-zero exit. */
  public String run(String... command) throws IOException {
    int n = ++runs;
    Path home = Files.createDirectories(work.resolve("home"));
    Path tmp = Files.createDirectories(work.resolve("tmp"));
    Path out = work.resolve("run-" + n + ".out");
    Path err = work.resolve("run-" + n + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("HOME", home.toString());
    pb.environment().put("TMPDIR", tmp.toString());
    Process p = pb.start();
    try {
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException("did not finish: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": "
          + Files.readString(err, StandardCharsets.UTF_8));
    }
    return Files.readString(out, StandardCharsets.UTF_8);
  }
}
