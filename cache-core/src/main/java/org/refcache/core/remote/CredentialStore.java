package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Registry credentials from a Docker-style {@code config.json}: {@code auths.<registry>.auth} holds
 * base64 of {@code user:password} (or {@code username} and {@code password} fields). Keys may be
 * written {@code host[:port]} or as a URL ({@code https://host[:port]/v1/}); they match the
 * reference's {@code host[:port]} exactly, so {@code host} and {@code host:443} are different
 * registries. Credential helpers ({@code credsStore}, {@code credHelpers}) are not run.
 */
public final class CredentialStore {
  /** The environment variable naming the credentials file to use instead of {@code ~/.docker/config.json}. */
  public static final String AUTH_FILE_VARIABLE = "REFCACHE_AUTH_FILE";

  private static final CredentialStore NONE = new CredentialStore(Map.of(),
      "no credentials file: $" + AUTH_FILE_VARIABLE + " is not set and ~/.docker/config.json does not exist");

  private final Map<String, Credentials> byRegistry;
  private final String source;

  private CredentialStore(Map<String, Credentials> byRegistry, String source) {
    this.byRegistry = Map.copyOf(byRegistry);
    this.source = source;
  }

  /** A store without credentials (anonymous access). */
  public static CredentialStore none() {
    return NONE;
  }

  /** A store holding only {@code credentials} for {@code registry} ({@code host[:port]}). */
  public static CredentialStore of(String registry, Credentials credentials) {
    return new CredentialStore(Map.of(registry.toLowerCase(Locale.ROOT), credentials),
        "credentials given to the client");
  }

  /**
   * The credentials of this process: the file named by {@value #AUTH_FILE_VARIABLE}, which must
   * exist, or else {@code ~/.docker/config.json} if it exists.
   */
  public static CredentialStore fromEnvironment() throws IOException {
    return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** As {@link #fromEnvironment()}, with the environment and home directory given. */
  public static CredentialStore fromEnvironment(Map<String, String> env, Path home) throws IOException {
    String named = env.get(AUTH_FILE_VARIABLE);
    if (named != null && !named.isEmpty()) {
      return load(Path.of(named));
    }
    Path docker = home.resolve(".docker").resolve("config.json");
    if (!Files.exists(docker)) {
      return NONE;
    }
    return load(docker);
  }

  /**
   * Reads a Docker-style credentials file.
   *
   * @throws NoSuchFileException when it does not exist
   * @throws IOException naming the file when it is not JSON or an entry cannot be decoded
   */
  public static CredentialStore load(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    byte[] raw = Files.readAllBytes(file);
    JsonNode root;
    try {
      root = ManifestJson.readObject(raw, "credentials file " + file);
    } catch (MalformedManifestException e) {
      throw new IOException(e.getMessage(), e);
    }
    Map<String, Credentials> found = new HashMap<>();
    JsonNode auths = root.get("auths");
    if (auths != null && auths.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        decode(file, e.getKey(), e.getValue()).ifPresent(c -> found.put(registryKey(e.getKey()), c));
      }
    } else if (auths != null && !auths.isNull()) {
      throw new IOException("credentials file " + file + ": \"auths\" is not an object");
    }
    return new CredentialStore(found, "credentials from " + file);
  }

  private static Optional<Credentials> decode(Path file, String key, JsonNode entry) throws IOException {
    String where = "credentials file " + file + ": auths.\"" + key + "\"";
    if (!entry.isObject()) {
      throw new IOException(where + " is not an object");
    }
    JsonNode auth = entry.get("auth");
    if (auth != null && auth.isTextual() && !auth.textValue().isEmpty()) {
      String pair;
      try {
        pair = new String(Base64.getDecoder().decode(auth.textValue().trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IOException(where + ".auth is not base64", e);
      }
      int colon = pair.indexOf(':');
      if (colon < 0) {
        throw new IOException(where + ".auth does not decode to user:password");
      }
      return Optional.of(new Credentials(pair.substring(0, colon), pair.substring(colon + 1)));
    }
    JsonNode user = entry.get("username");
    JsonNode password = entry.get("password");
    if (user != null && user.isTextual() && password != null && password.isTextual()) {
      return Optional.of(new Credentials(user.textValue(), password.textValue()));
    }
    return Optional.empty();
  }

  /** {@code https://host:port/v1/} and {@code host:port} both become {@code host:port}. */
  static String registryKey(String key) {
    String k = key.trim();
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    return k.toLowerCase(Locale.ROOT);
  }

  /** The credentials for {@code registry} ({@code host[:port]} as in the image reference). */
  public Optional<Credentials> find(String registry) {
    return Optional.ofNullable(byRegistry.get(registry.toLowerCase(Locale.ROOT)));
  }

  /**
   * Where the credentials came from, for messages: {@code credentials from <file>}, or a phrase
   * saying there is no file.
   */
  public String source() {
    return source;
  }
}
