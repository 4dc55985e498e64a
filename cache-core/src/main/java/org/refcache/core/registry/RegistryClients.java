package org.refcache.core.registry;

import java.io.IOException;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistrySource;

/**
 * Gives the registry client that fetches a lazy blob of {@code source}: the service's own, with its
 * credentials and plain HTTP for a registry pulled from with {@code --insecure}.
 */
@FunctionalInterface
public interface RegistryClients {
  /**
   * @throws IOException when the client cannot be made (an unreadable credentials file)
   */
  RegistryClient clientFor(RegistrySource source) throws IOException;
}
