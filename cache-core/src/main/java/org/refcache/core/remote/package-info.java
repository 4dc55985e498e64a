/**
 * Remotes: a client of OCI registries (the distribution API, {@code /v2/}), on
 * {@code java.net.http.HttpClient}.
 *
 * <h2>What it does</h2>
 * {@link org.refcache.core.remote.RegistryClient} resolves an
 * {@link org.refcache.core.remote.ImageReference} ({@code host[:port]/repository[:tag][@digest]};
 * the host is required, no registry is ever implied) to an image manifest (OCI or Docker schema 2),
 * choosing from an index or manifest list by {@link org.refcache.core.remote.Platform}
 * ({@code linux/amd64} unless named); fetches the config; fetches blobs into the content store or as
 * a stream; and pushes blobs (HEAD first, cross-repository mount, monolithic or chunked uploads) and
 * manifests. It does not know refs or the cache manager: a caller turns manifests into refs.
 *
 * <h2>Nothing unverified is handed on as complete</h2>
 * <ul>
 *   <li>A manifest is checked against the digest it was asked for by, else against the registry's
 *       {@code Docker-Content-Digest}; a manifest chosen from an index against the entry's digest and
 *       size.</li>
 *   <li>A blob fetched into the store streams into an ingest writer and is committed only if its
 *       size and digest verify ({@link org.refcache.core.content.ContentWriter#commit}); otherwise the
 *       ingest is removed and nothing is visible. A blob read as a stream reports its end only after
 *       it verified. More bytes than the descriptor says are never read.</li>
 *   <li>Pushed bytes are hashed as they go; a source that does not match its descriptor is not
 *       committed to the registry.</li>
 * </ul>
 * A mismatch is a {@link org.refcache.core.remote.RemoteDigestMismatchException} or
 * {@link org.refcache.core.remote.RemoteSizeMismatchException}; every
 * {@link org.refcache.core.remote.RegistryException}'s message starts with the image reference and
 * the digest.
 *
 * <h2>Failures on the way</h2>
 * A request that cannot connect, breaks before its answer, or gets a 5xx or 429 is sent again with
 * exponential backoff ({@link org.refcache.core.remote.RetryPolicy}) when that is safe; a blob
 * transfer that breaks, stalls past the read timeout, or ends early resumes with
 * {@code Range: bytes=<reached>-} a bounded number of times; an upload that fails on the way starts
 * again from its {@code POST}. What remains is a transient {@code RegistryException}
 * ({@link org.refcache.core.remote.RegistryException#isTransient()}). Not found and unauthorized are
 * their own types and are not retried.
 *
 * <h2>Authentication and transport</h2>
 * Credentials come from a Docker-style {@code config.json}
 * ({@link org.refcache.core.remote.CredentialStore}: {@code $REFCACHE_AUTH_FILE}, else
 * {@code ~/.docker/config.json}). A 401 is answered with Basic credentials or with a Bearer token
 * from the registry's token service; tokens are kept per scope set until they expire. HTTPS is
 * checked against the JVM's trust store (on Debian, {@code /etc/ssl/certs/java/cacerts}, kept from
 * the system's certificates by {@code ca-certificates-java}); plain HTTP is used only for loopback
 * registries ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}) and registries named as insecure,
 * and neither redirects nor token realms may lead elsewhere over plain HTTP. Redirects are followed
 * by the client itself so that storage elsewhere gets the {@code Range} but not the registry's
 * {@code Authorization}.
 *
 * <h2>Threads</h2>
 * A {@code RegistryClient} is thread-safe and meant to be shared; a blob stream is used by one
 * thread. Fetching the same blob twice at once into one store fails the second with
 * {@link org.refcache.core.content.IngestLockedException}: callers that may race (lazy refs) fetch
 * once per digest. No lock is held across network I/O.
 */
package org.refcache.core.remote;
