package org.refcache.core.cache;

import java.util.Objects;
import org.refcache.core.layer.Compression;

/**
 * How {@link ImmutableRef#getRemotes} gives a ref's layers (BuildKit's {@code RefConfig} with its
 * {@code compression.Config}).
 *
 * @param compression what a blob made for a layer that has none is compressed with; with {@code force},
 *     what every descriptor given must be (a variant is found or made for a layer that is not)
 * @param force whether existing blobs of another compression are converted (else reused as they are)
 * @param level the compressor's level ({@link Compression#DEFAULT_LEVEL} for its default)
 * @param preferNonDistributable whether a non-distributable layer with URLs keeps its media type and
 *     URLs (else it is given as the distributable type, without URLs)
 */
public record RefConfig(Compression compression, boolean force, int level, boolean preferNonDistributable) {
  public RefConfig {
    Objects.requireNonNull(compression, "compression");
  }

  /** gzip, not forced, default level: existing blobs as they are, new ones gzip (BuildKit's default). */
  public static RefConfig defaults() {
    return new RefConfig(Compression.GZIP, false, Compression.DEFAULT_LEVEL, false);
  }

  /** Every layer in {@code compression}: existing blobs of another one are converted (variants). */
  public static RefConfig forced(Compression compression) {
    return new RefConfig(compression, true, Compression.DEFAULT_LEVEL, false);
  }

  /** New blobs in {@code compression}, existing ones as they are. */
  public static RefConfig of(Compression compression) {
    return new RefConfig(compression, false, Compression.DEFAULT_LEVEL, false);
  }
}
