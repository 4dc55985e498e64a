package org.refcache.fuse;

/**
 * An open file of the view.
 *
 * @param handle        the view's handle for it (never 0), until its release
 * @param keepCache     whether the kernel may keep the file's cached pages across opens
 *                      ({@code keep_cache}): its tree can never change
 * @param passthroughFd the descriptor the kernel may read the file from itself (passthrough),
 *                      valid while the handle is open; -1 where it must not (a file of a
 *                      writable or committed tree)
 * @param readsAndWrites whether the handle's descriptor is open {@code O_RDWR} with no other
 *                      flag, so that it can serve any later read or write by node
 *                      ({@link NodeFiles}): a file made by CREATE
 */
public record Opened(long handle, boolean keepCache, int passthroughFd, boolean readsAndWrites) {

  public Opened(long handle, boolean keepCache, int passthroughFd) {
    this(handle, keepCache, passthroughFd, false);
  }
}
