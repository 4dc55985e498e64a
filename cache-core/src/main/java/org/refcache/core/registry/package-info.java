/**
 * Refs and OCI registries: pulling an image as a chain of lazy refs ({@link
 * org.refcache.core.registry.ImagePuller}: manifest and config now, each layer blob fetched when a
 * lookup first reaches its layer, through a provider per blob, {@link
 * org.refcache.core.registry.RegistryBlobs}, re-bound after a restart from the source the record
 * stored) and pushing a ref's layers as an image ({@link org.refcache.core.registry.ImagePusher}).
 *
 * <p>Nothing here takes the manager's lock itself: it goes through {@link
 * org.refcache.core.cache.CacheManager}'s public API. Transfers run on the caller's thread.
 */
package org.refcache.core.registry;
