package org.refcache.core.cache;

import java.util.Set;

/** The usage record types of BuildKit's {@code client.UsageRecordType}. */
public final class RecordTypes {
  public static final String INTERNAL = "internal";
  public static final String FRONTEND = "frontend";
  public static final String LOCAL_SOURCE = "source.local";
  public static final String GIT_CHECKOUT = "source.git.checkout";
  public static final String CACHE_MOUNT = "exec.cachemount";
  public static final String REGULAR = "regular";
  public static final Set<String> ALL = Set.of(INTERNAL, FRONTEND, LOCAL_SOURCE, GIT_CHECKOUT, CACHE_MOUNT, REGULAR);

  private RecordTypes() {}
}
