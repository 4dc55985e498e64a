package org.refcache.core.cache;

import java.util.Optional;
import org.refcache.core.digest.ChainIds;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.StorageItem;

/**
 * A layer's identities (spec 3.3): the chain ID over uncompressed layers and the blob chain ID over the
 * compressed blobs. One place for the formulas {@code getByBlob} and {@code setBlob} both apply.
 */
record ChainPair(Digest chainId, Digest blobChainId) {
  /** A layer on scratch: {@code chainId = diffId}, {@code blobChainId = ChainID(blob, diffId)}. */
  static ChainPair base(Digest blob, Digest diffId) {
    return new ChainPair(diffId, ChainIds.of(blob, diffId));
  }

  /** A layer on a parent with these identities. */
  ChainPair then(Digest blob, Digest diffId) {
    return new ChainPair(ChainIds.of(chainId, diffId), ChainIds.of(blobChainId, ChainIds.of(blob, diffId)));
  }

  /** The identities stored in a record's metadata; empty when it has none (not addressable). */
  static Optional<ChainPair> of(StorageItem md) {
    String c = md.getString(MetadataKeys.CHAIN_ID);
    String b = md.getString(MetadataKeys.BLOB_CHAIN_ID);
    if (c == null || c.isEmpty() || b == null || b.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new ChainPair(Digest.parse(c), Digest.parse(b)));
  }

  /** Queues both values with their indexes ({@code chainid:}, {@code blobchainid:}). */
  void queueInto(StorageItem md) {
    md.queueString(MetadataKeys.CHAIN_ID, chainId.toString(), MetadataKeys.INDEX_CHAIN_ID + chainId);
    md.queueString(MetadataKeys.BLOB_CHAIN_ID, blobChainId.toString(),
        MetadataKeys.INDEX_BLOB_CHAIN_ID + blobChainId);
  }
}
