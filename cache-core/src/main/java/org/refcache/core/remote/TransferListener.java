package org.refcache.core.remote;

import java.io.IOException;

/**
 * Hears about blob transfers (for progress display and logs). Called on the transferring thread;
 * implementations must be quick and must not throw. Every method does nothing by default.
 */
public interface TransferListener {
  /** Listens to nothing. */
  TransferListener NONE = new TransferListener() { };

  /** A download or upload of {@code blob} begins, at {@code offset} (0 unless it resumes). */
  default void started(ImageReference image, OciDescriptor blob, long offset) {
  }

  /** {@code bytesDone} of the blob's bytes have moved so far. */
  default void progressed(ImageReference image, OciDescriptor blob, long bytesDone) {
  }

  /** A broken download is resumed from {@code atByte}; {@code cause} is how it broke. */
  default void resumed(ImageReference image, OciDescriptor blob, long atByte, IOException cause) {
  }

  /** The transfer of {@code blob} ended with all its bytes (before verification of a download's digest). */
  default void finished(ImageReference image, OciDescriptor blob) {
  }
}
