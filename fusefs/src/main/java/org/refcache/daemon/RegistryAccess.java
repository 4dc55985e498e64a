package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.refcache.core.registry.RegistryClients;
import org.refcache.core.remote.CredentialStore;
import org.refcache.core.remote.ImageReference;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistrySource;
import org.refcache.core.remote.TransferListener;

/**
 * The service's registry clients: credentials from {@code REFCACHE_AUTH_FILE} (as the service was
 * started) or else the service's {@code ~/.docker/config.json}, read again for every pull and push
 * so that a changed password counts at once; plain HTTP for loopback registries and for a registry
 * named with {@code --insecure}. Lazy fetches share one client per registry (its connections and
 * tokens), built when the first blob of that registry is fetched.
 */
final class RegistryAccess implements RegistryClients {
  private final Path authFile;
  private final TransferListener fetches;
  private final Map<String, RegistryClient> shared = new ConcurrentHashMap<>();

  /**
   * @param authFile the credentials file, or null for {@code ~/.docker/config.json}
   * @param fetches hears the service's own transfers: lazy fetches, and a pull's once it is answered
   */
  RegistryAccess(Path authFile, TransferListener fetches) {
    this.authFile = authFile;
    this.fetches = fetches;
  }

  /** What hears the transfers no client waits for ({@link FetchDisplay}). */
  TransferListener fetches() {
    return fetches;
  }

  /** A client for one pull or push of {@code image}, whose transfers {@code listener} hears. */
  RegistryClient client(ImageReference image, boolean insecure, TransferListener listener) throws IOException {
    return RegistryClient.builder()
        .credentials(credentials())
        .insecure(insecure ? Set.of(image.registry()) : Set.of())
        .listener(listener)
        .build();
  }

  /** The shared client for lazy fetches of {@code source}'s registry. */
  @Override
  public RegistryClient clientFor(RegistrySource source) throws IOException {
    String key = (source.insecure() ? "insecure:" : "") + source.image().registry();
    RegistryClient c = shared.get(key);
    if (c == null) {
      c = client(source.image(), source.insecure(), fetches);
      RegistryClient raced = shared.putIfAbsent(key, c);
      c = raced != null ? raced : c;
    }
    return c;
  }

  private CredentialStore credentials() throws IOException {
    if (authFile != null) {
      return CredentialStore.load(authFile);
    }
    return CredentialStore.fromEnvironment(Map.of(), Path.of(System.getProperty("user.home")));
  }
}
