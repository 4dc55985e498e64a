package org.refcache.core.content;

import java.io.IOException;

/** Another writer holds the ingest ref. The message names the ref. */
public class IngestLockedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String ref;

  /** For the held {@code ref}. */
  public IngestLockedException(String ref) {
    super("ingest ref \"" + ref + "\" is locked: another writer for it is open");
    this.ref = ref;
  }

  /** The ref that is held. */
  public String ref() {
    return ref;
  }
}
