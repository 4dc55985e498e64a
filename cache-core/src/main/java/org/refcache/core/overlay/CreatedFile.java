package org.refcache.core.overlay;

import java.nio.file.Path;

/**
 * A regular file that {@link WritableOverlayTree#createAndOpen} made or found.
 *
 * @param real its upper path
 * @param fd   a descriptor of the file it made, open {@code O_RDWR} (no other flag but
 *             {@code O_CLOEXEC}), which the caller owns and closes; -1 if the file existed (then
 *             prepared for writing as {@link WritableOverlayTree#openForWrite} does, not
 *             truncated)
 */
public record CreatedFile(Path real, int fd) {

  /** Whether the file was made by this call (new and empty). */
  public boolean made() {
    return fd >= 0;
  }
}
