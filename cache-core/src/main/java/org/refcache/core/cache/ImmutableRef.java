package org.refcache.core.cache;

import java.util.List;
import java.util.Optional;
import org.refcache.core.digest.Digest;

/** A handle to a record whose content never changes (spec 2.0). */
public interface ImmutableRef extends Ref {
  /** A new handle to the same record; it does not count as a use. */
  ImmutableRef cloneRef();

  /** Makes a commit final: the mutable twin is gone, getMutable of it fails from now on. */
  void finalizeRef();

  /** Fetches and unpacks every lazy layer of the chain. */
  void extract();

  /** Clones of the refs that are actual layers, bottom to top; the caller releases them. */
  List<ImmutableRef> layerChain();

  /**
   * Names in this record's own layer blob, sorted by their bytes (spec 2.17), as byte strings
   * ({@link org.refcache.posix.FileNames}); empty when it has no blob.
   */
  List<String> fileList();

  /** Bytes this record occupies (blob-only records count their blobs only). */
  long size();

  /** Whether the record has a blob not yet unpacked. */
  boolean isBlobOnly();

  Optional<Digest> blob();

  Optional<Digest> diffId();

  Optional<Digest> chainId();

  Optional<Digest> blobChainId();

  /** The snapshot key (spec 3.1): the chain ID for blob records, the record ID otherwise. */
  String snapshotId();

  /** The parent records' IDs by kind: [parent], merge inputs, or [lower, upper]. */
  List<String> parentIds();
}
