package org.refcache.core.registry;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.refcache.core.cache.DescHandler;
import org.refcache.core.cache.Descriptor;
import org.refcache.core.cache.RemoteResolver;
import org.refcache.core.remote.OciDescriptor;
import org.refcache.core.remote.RegistryClient;
import org.refcache.core.remote.RegistrySource;

/**
 * Providers of layer blobs that live in a registry: a {@link DescHandler} per pulled blob, whose
 * stored source ({@link RegistrySource}) lets {@link #resolve} bind the same provider again after a
 * restart (DESIGN decision 1). The provider opens a download that resumes a broken transfer
 * ({@code Range}); the content store verifies size and digest before the blob is used.
 */
public final class RegistryBlobs implements RemoteResolver {
  private final RegistryClients clients;

  public RegistryBlobs(RegistryClients clients) {
    this.clients = Objects.requireNonNull(clients, "clients");
  }

  /** The handler of every blob of the image {@code source} names, fetching through the service's client. */
  public DescHandler handler(RegistrySource source) {
    return new DescHandler(descriptor -> open(clients.clientFor(source), source, descriptor), source.toString(),
        Map.of());
  }

  /**
   * The handler of every blob of the image {@code source} names, fetching through {@code client} (a
   * pull's own, whose listener shows its progress); after a restart the blob is re-bound to
   * {@link #handler(RegistrySource)} from the same stored source.
   */
  public DescHandler handler(RegistrySource source, RegistryClient client) {
    return new DescHandler(descriptor -> open(client, source, descriptor), source.toString(), Map.of());
  }

  private static InputStream open(RegistryClient client, RegistrySource source, Descriptor d) {
    OciDescriptor blob = new OciDescriptor(d.mediaType(), d.digest(), d.size(), Map.of(), d.urls(), null);
    return client.openBlob(source.image(), blob);
  }

  /** Cheap, no I/O (it runs under the manager's lock): only reads the stored text. */
  @Override
  public Optional<DescHandler> resolve(String ref, Descriptor descriptor) {
    return RegistrySource.parse(ref).map(this::handler);
  }
}
