/**
 * OCI image layouts and Docker archives: the way images leave and enter refcache as files other
 * tools read and write ({@code skopeo}, {@code umoci}, {@code docker load}/{@code save}).
 *
 * <h2>Writing</h2>
 * {@link org.refcache.core.oci.OciLayoutWriter} puts blobs into a layout
 * ({@code blobs/sha256/<hex>}, copied from the content store and checked on the way), then an
 * image: its config ({@link org.refcache.core.oci.ImageConfig}: platform, created, history,
 * {@code rootfs.diff_ids}), its manifest, and the {@code index.json} entry whose
 * {@value org.refcache.core.oci.OciMediaTypes#REF_NAME_ANNOTATION} annotation is the tag
 * ({@value org.refcache.core.oci.OciLayoutWriter#DEFAULT_TAG} by default). Files appear whole
 * (temporary file, fsync, rename), {@code index.json} last. JSON is compact with fields in a fixed
 * order, so the same image is the same manifest digest.
 *
 * <h2>Reading</h2>
 * {@link org.refcache.core.oci.OciLayoutReader} follows {@code index.json} to the manifest tagged
 * as asked (through a nested index to this platform's entry), reads the config and the layer
 * descriptors, and checks each manifest and config against its digest and size;
 * {@link org.refcache.core.oci.DockerArchiveReader} does the same for {@code docker save} tars.
 * Both are {@link org.refcache.core.oci.BlobSource}s: a blob streamed from them fails at its end
 * with a {@link org.refcache.core.oci.BlobMismatchException} unless it is the bytes named.
 * {@link org.refcache.core.oci.ImageImporter} copies an image's layer blobs into the content store
 * with their diffIDs; unpacking them (lazily) checks the diffIDs.
 *
 * <h2>Refs as images</h2>
 * {@link org.refcache.core.oci.RefExporter} writes a ref: its layer chain as blobs
 * ({@code ImmutableRef.getRemotes}, which makes the blobs a built ref lacks), the config's history
 * from the layer records. {@link org.refcache.core.oci.RefImporter} reads one back: the image's blobs
 * into the content store, then one lazy ref per layer ({@code CacheManager.getByBlob}), so an image
 * refcache exported imports as the refs it came from.
 *
 * <h2>Errors</h2>
 * A layout or archive that is not what the spec says fails with an
 * {@link org.refcache.core.oci.OciFormatException} naming the file and the field
 * ({@code index.json: manifests[0].digest: missing}); a missing tag with an
 * {@link org.refcache.core.oci.ImageNotFoundException} listing the tags there are; an invalid tag
 * with an {@code IllegalArgumentException} (a usage error). Nothing here locks a layout: one
 * writer at a time.
 */
package org.refcache.core.oci;
