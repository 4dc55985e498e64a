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

  /**
   * The layer chain as blobs (spec 6.4): one descriptor per layer, bottom to top, with its diffID
   * ({@code containerd.io/uncompressed}) and creation time ({@code buildkit/createdat}) annotations.
   * Existing blobs are reused; a layer without one (a committed upper, a diff with a change set of its
   * own) gets one made from its change set, compressed as {@code cfg} says, and recorded with its
   * diffID (finalizing a commit first). With {@code cfg.force()} every descriptor is of the requested
   * compression, a variant being found or made and linked to the layer's blob. With {@code all} (and
   * no force), further remotes follow the first: every combination of the layers' variants with the
   * top layer in the requested compression.
   *
   * @param createIfNeeded whether missing blobs may be made
   * @throws NoBlobsException when a layer has no blob and {@code createIfNeeded} is false
   */
  List<Remote> getRemotes(boolean createIfNeeded, RefConfig cfg, boolean all);

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
