package org.refcache.core.remote;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.refcache.core.content.ContentProvider;
import org.refcache.core.digest.Digest;

/**
 * Where the bytes of a blob to push come from. It may be opened more than once: an upload that
 * fails on the way is started again from the beginning.
 */
@FunctionalInterface
public interface BlobSource {
  /** A new stream over the whole blob. */
  InputStream open() throws IOException;

  /** The bytes of {@code data} (not copied: do not change them while pushing). */
  static BlobSource of(byte[] data) {
    return () -> new ByteArrayInputStream(data);
  }

  /** The committed blob {@code digest} of a content store. */
  static BlobSource of(ContentProvider store, Digest digest) {
    return () -> store.open(digest);
  }

  /** The file {@code file}. */
  static BlobSource of(Path file) {
    return () -> Files.newInputStream(file);
  }
}
