/**
 * The content store: an OCI-compatible, content-addressed store of blobs under
 * {@code <root>/content}, with blob info (size, times, labels) in the LMDB database
 * {@value org.refcache.core.content.ContentStore#DATABASE}.
 *
 * <p>Roles follow containerd's {@code core/content}: {@link org.refcache.core.content.ContentProvider}
 * reads, {@link org.refcache.core.content.ContentIngester} writes through a
 * {@link org.refcache.core.content.ContentWriter}, {@link org.refcache.core.content.ContentManager}
 * inspects, relabels and deletes. {@link org.refcache.core.content.ContentStore} implements all three.
 *
 * <h2>Layout</h2>
 * <pre>
 * content/blobs/&lt;alg&gt;/&lt;hex&gt;          committed blobs, mode 0444
 * content/ingest/&lt;sanitized-ref&gt;/data   bytes of a write in progress
 * content/ingest/&lt;sanitized-ref&gt;/ref    the writer's ref, UTF-8
 * </pre>
 *
 * <h2>Commit sequence</h2>
 * A writer's {@code commit} fsyncs the ingest file, verifies the size and the digest (Bouncy Castle),
 * makes the file read-only, renames it atomically into {@code blobs/}, fsyncs that directory, then
 * records the info in LMDB (one write transaction, labels included). A blob whose size or digest does
 * not verify is deleted with its ingest directory and is never visible under {@code blobs/}. A writer
 * can give its digest before the commit ({@code ContentWriter.digest()}, which ends the writing), so a
 * label that names the blob's own digest (an uncompressed layer's diffID) goes in the same write.
 *
 * <h2>Truth</h2>
 * The blob file decides existence. Info for a blob file without an LMDB entry is rebuilt from the file
 * (size, modification time, no labels); an LMDB entry without a blob file is stale: it is never
 * returned and is dropped when the store opens.
 *
 * <h2>Concurrency</h2>
 * One {@code ContentStore} per content root per process owns {@code ingest/}: opening a store removes
 * every leftover in {@code ingest/}, because writers live only in the process that opened them. A ref
 * has at most one open writer; a second one fails with
 * {@link org.refcache.core.content.IngestLockedException}. Commits and deletes of the same digest are
 * serialised in process; lock order is digest stripe, then the LMDB write transaction (never the
 * reverse).
 */
package org.refcache.core.content;
