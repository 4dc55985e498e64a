package org.refcache.core.remote;

/** What pushing one blob took. */
public enum PushOutcome {
  /** The repository already had the blob (HEAD); nothing was sent. */
  ALREADY_PRESENT,
  /** The registry mounted the blob from another repository; nothing was sent. */
  MOUNTED,
  /** The blob's bytes were uploaded. */
  UPLOADED
}
