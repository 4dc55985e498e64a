package org.refcache.daemon;

/** What the service does with registries: {@code pull} and {@code push}. */
record RegistryOperations(PullService pull, PushService push) {}
