package org.refcache.daemon;

/** What the service does with registries: {@code pull}. */
record RegistryOperations(PullService pull) {}
