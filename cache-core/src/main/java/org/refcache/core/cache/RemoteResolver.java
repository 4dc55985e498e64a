package org.refcache.core.cache;

import java.util.Optional;

/**
 * Re-binds a provider for a lazy blob from what was stored when the record was created (DESIGN decision
 * 1: lazy refs survive a restart). Configured once on the manager.
 *
 * <p>It is called under the manager's lock while records load: it must only build a handler (cheap,
 * no I/O); the handler's provider does the fetching later, outside the lock.
 */
@FunctionalInterface
public interface RemoteResolver {
  /** Never binds anything. */
  RemoteResolver NONE = (ref, desc) -> Optional.empty();

  /**
   * @param ref the {@link DescHandler#ref()} recorded for the blob, may be null
   * @param descriptor the blob's descriptor as recorded
   */
  Optional<DescHandler> resolve(String ref, Descriptor descriptor);
}
