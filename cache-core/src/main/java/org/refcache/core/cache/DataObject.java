package org.refcache.core.cache;

import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Function;
import org.refcache.core.digest.Digest;

/**
 * One thing on disk that records use and the collector removes when none does: a blob of the content
 * store, an unpacked layer directory ({@code layers/<diffID>}) or an upper directory
 * ({@code uppers/<id>}). Several records may use one (same blob, same diffID, a mutable and its
 * twin); it is counted once.
 *
 * @param path where it is (whether it exists or not)
 */
record DataObject(Kind kind, Path path) {
  enum Kind { BLOB, LAYER, UPPER }

  /**
   * What {@code rec} uses: its own blob (present or not) and its own layer or upper directory
   * (made or not). Made only from fields that never change, so no lock is needed.
   */
  static void of(CacheRecord rec, StateLayout layout, Function<Digest, Path> blobPath, Consumer<DataObject> sink) {
    Digest blob = rec.blob();
    if (blob != null) {
      sink.accept(new DataObject(Kind.BLOB, blobPath.apply(blob)));
    }
    if (rec.layerDir != null) {
      sink.accept(new DataObject(rec.layerDir.startsWith(layout.uppers()) ? Kind.UPPER : Kind.LAYER, rec.layerDir));
    }
  }
}
