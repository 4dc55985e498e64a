package org.refcache.core.layer;

import org.refcache.core.digest.Digest;

/**
 * What one unpack read.
 *
 * @param diffId           digest of the whole uncompressed stream (trailer and padding included)
 * @param uncompressedSize its length in bytes
 * @param entries          tar entries applied (PAX and GNU long-name headers not counted;
 *                         whiteouts and opaque markers counted)
 */
public record UnpackResult(Digest diffId, long uncompressedSize, long entries) {
}
