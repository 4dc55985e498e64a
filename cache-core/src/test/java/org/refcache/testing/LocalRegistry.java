package org.refcache.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.refcache.core.digest.Digest;
import org.refcache.core.remote.ImageReference;

/**
 * Debian's {@code docker-registry} (distribution 2.8) for tests: its own config and storage under a
 * directory, on a free loopback port, optionally behind htpasswd Basic auth or a token service.
 * {@link #close()} stops it.
 *
 * <p>The registry writes its access log (one line per request, Apache combined format) to stdout and
 * its own log to stderr; both go to files in the directory. {@link #accessLog()} reads the access log
 * after a marker request has been logged, so every request answered before the call is in it.
 * {@link #kill()} and {@link #startAgain()} stop it abruptly (connections in flight break) and start
 * it again on the same port with the same storage; the fixed HTTP secret keeps upload sessions valid
 * across the restart.
 */
public final class LocalRegistry implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/docker-registry");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern ACCESS_LINE = Pattern.compile(
      "^\\S+ \\S+ \\S+ \\[[^\\]]+\\] \"(\\S+) (\\S+) [^\"]*\" (\\d{3}) (\\d+|-).*$");

  /** One line of the access log. */
  public record Access(String method, String path, int status) {
    public boolean isBlobGet(Digest d) {
      return method.equals("GET") && path.endsWith("/blobs/" + d);
    }
  }

  private final Path dir;
  private final Path storage;
  private final Path config;
  private final Path stdout;
  private final Path stderr;
  private int port;
  private Process process;

  private LocalRegistry(Path dir) {
    this.dir = dir;
    this.storage = dir.resolve("storage");
    this.config = dir.resolve("config.yml");
    this.stdout = dir.resolve("access.log");
    this.stderr = dir.resolve("registry.log");
  }

  /** An open registry (no authentication). */
  public static LocalRegistry start(Path dir) throws IOException {
    return startWith(dir, "");
  }

  /** A registry that lets in only {@code user} with {@code password} (htpasswd, bcrypt). */
  public static LocalRegistry startWithBasicAuth(Path dir, String user, String password) throws IOException {
    Files.createDirectories(dir);
    Path htpasswd = dir.resolve("htpasswd");
    byte[] salt = new byte[16];
    new java.security.SecureRandom().nextBytes(salt);
    // htpasswd -B writes $2y$ hashes; the registry's Go bcrypt reads them.
    String hash = OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 5);
    Files.writeString(htpasswd, user + ":" + hash + "\n", StandardCharsets.UTF_8);
    return startWith(dir, "auth:\n  htpasswd:\n    realm: refcache-test\n    path: " + htpasswd + "\n");
  }

  /** A registry that takes Bearer tokens of {@code tokens}. */
  public static LocalRegistry startWithTokenAuth(Path dir, TokenService tokens) throws IOException {
    return startWith(dir, "auth:\n  token:\n    realm: " + tokens.realm() + "\n    service: " + tokens.service()
        + "\n    issuer: " + tokens.issuer() + "\n    rootcertbundle: " + tokens.certificateBundle() + "\n");
  }

  private static LocalRegistry startWith(Path dir, String auth) throws IOException {
    Files.createDirectories(dir);
    LocalRegistry r = new LocalRegistry(dir);
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      r.port = freePort();
      r.writeConfig(auth);
      try {
        r.launch();
        return r;
      } catch (IOException e) {
        last = e; // another process took the port between the probe and the start: pick another one
      }
    }
    throw last;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void writeConfig(String auth) throws IOException {
    Files.createDirectories(storage);
    String yaml = "version: 0.1\n"
        + "log:\n  level: info\n  accesslog:\n    disabled: false\n"
        + "storage:\n  filesystem:\n    rootdirectory: " + storage + "\n  delete:\n    enabled: true\n"
        + "  maintenance:\n    uploadpurging:\n      enabled: false\n"
        + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: refcache-test-secret\n"
        + auth;
    Files.writeString(config, yaml, StandardCharsets.UTF_8);
  }

  private void launch() throws IOException {
    ProcessBuilder pb = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
        .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
        .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
    process = pb.start();
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited with " + process.exitValue() + " on port " + port + ": "
            + tail(stderr));
      }
      if (answers()) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        stopProcess();
        throw new IOException("docker-registry did not answer on port " + port + " within " + START_TIMEOUT + ": "
            + tail(stderr));
      }
      sleep(50);
    }
  }

  private boolean answers() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      int status = c.getResponseCode();
      c.disconnect();
      return status == 200 || status == 401;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** A reference to {@code repositoryAndTag} in this registry. */
  public ImageReference ref(String repositoryAndTag) {
    return ImageReference.parse(address() + "/" + repositoryAndTag);
  }

  /** Where the registry keeps the bytes of blob {@code d}. */
  public Path blobData(Digest d) {
    return storage.resolve("docker/registry/v2/blobs").resolve(d.algorithm()).resolve(d.hex().substring(0, 2))
        .resolve(d.hex()).resolve("data");
  }

  /** Stops the registry at once (SIGKILL): transfers in flight break. */
  public void kill() {
    stopProcess();
  }

  /** Starts the registry again on the same port, with the same config and storage. */
  public void startAgain() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the registry is running");
    }
    launch();
  }

  /** Every request the registry answered so far, in order. */
  public List<Access> accessLog() throws IOException {
    String marker = "/v2/?refcache-marker=" + UUID.randomUUID();
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + marker).toURL().openConnection();
      c.getResponseCode();
      c.disconnect();
    } catch (IOException e) {
      throw new IOException("the registry on port " + port + " did not answer the log marker", e);
    }
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (true) {
      List<String> lines = Files.readAllLines(stdout, StandardCharsets.ISO_8859_1);
      List<Access> out = new ArrayList<>();
      for (String line : lines) {
        Matcher m = ACCESS_LINE.matcher(line);
        if (!m.matches()) {
          continue;
        }
        if (m.group(2).equals(marker)) {
          return out;
        }
        if (!m.group(2).startsWith("/v2/?refcache-marker=")) {
          out.add(new Access(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
        }
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IOException("the access log " + stdout + " never showed the marker request");
      }
      sleep(20);
    }
  }

  /** The registry's own log (stderr), for failure messages. */
  public String log() throws IOException {
    return Files.exists(stderr) ? Files.readString(stderr, StandardCharsets.ISO_8859_1) : "";
  }

  private static String tail(Path file) {
    try {
      String s = Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private void stopProcess() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("docker-registry (pid " + process.pid() + ") did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    stopProcess();
  }
}
