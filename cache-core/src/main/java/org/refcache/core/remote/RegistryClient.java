package org.refcache.core.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.refcache.core.content.ContentIngester;
import org.refcache.core.content.ContentWriter;
import org.refcache.core.content.DigestMismatchException;
import org.refcache.core.content.SizeMismatchException;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;

/**
 * A client of the OCI distribution API (registries that speak {@code /v2/}): resolving references to
 * manifests for a platform, fetching configs and blobs (resumed after a broken transfer, verified
 * before anything is handed on as complete), and pushing blobs and manifests.
 *
 * <p>Built once with {@link #builder()} and shared: it is thread-safe, and it keeps connections and
 * tokens between calls. Failures are {@link RegistryException}s naming the image and the digest;
 * see that class for the kinds.
 */
public final class RegistryClient {
  /** Manifests and indexes larger than this are refused (as containerd does). */
  public static final int MAX_MANIFEST_BYTES = 4 << 20;
  /** Image configs larger than this are refused (they are read into memory). */
  public static final int MAX_CONFIG_BYTES = 64 << 20;
  /** Blobs up to this size are pushed in one request, larger ones in chunks of this size. */
  public static final int DEFAULT_CHUNK_SIZE = 16 << 20;

  private final RegistryTransport transport;
  private final BlobUpload upload;
  private final TransferListener listener;

  private RegistryClient(Builder b) {
    HttpClient http = HttpClient.newBuilder()
        .connectTimeout(b.connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.transport = new RegistryTransport(http, new RegistryEndpoints(b.insecure), b.credentials, b.retry,
        b.requestTimeout, b.readTimeout, b.userAgent, b.clock);
    this.listener = b.listener;
    this.upload = new BlobUpload(transport, b.listener, b.chunkSize);
  }

  /** A builder with the defaults: no credentials, no insecure registries, {@link RetryPolicy#DEFAULT}. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- pull ------------------------------------------------------------------------------------

  /**
   * Fetches the manifest or index {@code image} names and verifies it: against the reference's
   * digest if it has one, else against the registry's {@code Docker-Content-Digest}.
   *
   * @throws ManifestNotFoundException when the registry has no such manifest
   * @throws RemoteDigestMismatchException when the bytes do not hash to the expected digest
   */
  public FetchedManifest fetchManifest(ImageReference image) throws IOException {
    Objects.requireNonNull(image, "image");
    RegistryRequest request = RegistryRequest.of(image, image.digest(), "GET",
        transport.uri(image, "manifests/" + image.manifestReference()), List.of(RegistryRequest.pullScope(image)))
        .header("Accept", String.join(", ", ManifestMediaTypes.ACCEPTED));
    byte[] bytes;
    String contentType;
    String announced;
    try (RegistryResponse r = transport.send(request)) {
      if (r.status() == 404) {
        String text = r.text();
        throw new ManifestNotFoundException(image, image.digest(),
            RegistryErrors.describe(RegistryErrors.parse(text), text));
      }
      if (r.status() != 200) {
        String text = r.text();
        throw new RegistryException(image, image.digest(), "GET of the manifest answered "
            + RegistryErrors.statusLine(r.status(), RegistryErrors.describe(RegistryErrors.parse(text), text)));
      }
      if (r.contentLength() > MAX_MANIFEST_BYTES) {
        throw new UnsupportedManifestException(image, image.digest(), "the manifest is " + r.contentLength()
            + " bytes, more than the " + MAX_MANIFEST_BYTES + " this client reads");
      }
      try {
        bytes = r.body().readAll(MAX_MANIFEST_BYTES, "the manifest");
      } catch (BodyStream.TooLargeException e) {
        throw new UnsupportedManifestException(image, image.digest(), e.getMessage() + ", more than this client reads");
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        throw new RegistryException(image, image.digest(), "reading the manifest failed: "
            + RegistryTransport.describe(e), e, true);
      }
      contentType = r.header("Content-Type");
      announced = r.header("Docker-Content-Digest");
    }
    Digest digest = verifyManifest(image, bytes, announced);
    String mediaType = mediaTypeOf(bytes, contentType);
    return new FetchedManifest(image.withDigest(digest), digest, mediaType, bytes);
  }

  private static Digest verifyManifest(ImageReference image, byte[] bytes, String announced)
      throws RemoteDigestMismatchException {
    Digest expected = image.digest();
    if (expected == null && announced != null) {
      try {
        expected = Digest.parse(announced.trim());
      } catch (IllegalArgumentException e) {
        expected = null; // a header we cannot read: the digest of the bytes stands
      }
    }
    String algorithm = expected != null ? expected.algorithm() : Digest.SHA256;
    Digester d = Digester.of(algorithm);
    d.update(bytes, 0, bytes.length);
    Digest actual = d.digest();
    if (expected != null && !expected.equals(actual)) {
      throw new RemoteDigestMismatchException(image, expected, actual, "manifest from the registry");
    }
    return actual;
  }

  private static String mediaTypeOf(byte[] bytes, String contentType) {
    try {
      return Manifest.parse(bytes, contentType).mediaType();
    } catch (MalformedManifestException e) {
      String essence = ManifestMediaTypes.essence(contentType);
      return essence == null || essence.isEmpty() ? "application/octet-stream" : essence;
    }
  }

  /**
   * Resolves {@code image} to one verified image manifest: an index (OCI index or Docker manifest
   * list) is read and its entry for {@code platform} fetched and checked against the entry's digest
   * and size. A reference that names an image manifest gives that manifest, whatever platform its
   * config says (as {@code docker pull} does); the result's {@code platform} is then null.
   *
   * @throws PlatformNotFoundException when an index has no entry for the platform
   * @throws UnsupportedManifestException for Docker schema 1, unknown or malformed manifests
   */
  public ResolvedImage resolve(ImageReference image, Platform platform) throws IOException {
    Objects.requireNonNull(platform, "platform");
    FetchedManifest top = fetchManifest(image);
    Manifest parsed = top.parse();
    if (parsed instanceof ImageManifest m) {
      return new ResolvedImage(top.reference(), top, m, null, null);
    }
    ImageIndex index = (ImageIndex) parsed;
    OciDescriptor entry = index.select(platform).orElseThrow(
        () -> new PlatformNotFoundException(image, top.digest(), platform, index.platforms()));
    ImageReference child = image.withDigest(entry.digest());
    FetchedManifest content = fetchManifest(child);
    if (content.size() != entry.size()) {
      throw new RemoteSizeMismatchException(child, entry.digest(), entry.size(), content.size(), "manifest");
    }
    Manifest childManifest = content.parse();
    if (!(childManifest instanceof ImageManifest m)) {
      throw new UnsupportedManifestException(child, entry.digest(), "the index entry for " + entry.platform()
          + " is itself an index");
    }
    return new ResolvedImage(child, content, m, top, platform);
  }

  /** {@link #resolve(ImageReference, Platform)} for {@link Platform#LINUX_AMD64}. */
  public ResolvedImage resolve(ImageReference image) throws IOException {
    return resolve(image, Platform.LINUX_AMD64);
  }

  /**
   * Fetches a small blob (an image config) into memory, verified against its descriptor.
   *
   * @throws BlobNotFoundException when the registry does not have it
   * @throws RemoteDigestMismatchException, RemoteSizeMismatchException when it does not verify
   */
  public byte[] fetchConfig(ImageReference image, OciDescriptor config) throws IOException {
    if (config.size() > MAX_CONFIG_BYTES) {
      throw new RegistryException(image, config.digest(), "the config is " + config.size() + " bytes, more than the "
          + MAX_CONFIG_BYTES + " this client reads");
    }
    try (BlobDownloadStream in = new BlobDownloadStream(transport, image, config, TransferListener.NONE, true)) {
      return in.readAllBytes();
    }
  }

  /**
   * Fetches a blob into a content store: the bytes stream into an ingest writer
   * ({@code "pull-" + digest}), resumed after a broken transfer, and the blob is committed only when
   * its size and digest verify. Nothing is left behind on failure. It does not look whether the
   * store has the blob already: callers that may have it look first.
   *
   * @param labels labels for the committed blob
   * @return the committed blob's digest
   * @throws BlobNotFoundException when the registry does not have it
   * @throws RemoteDigestMismatchException when the bytes do not hash to the digest (not committed)
   * @throws org.refcache.core.content.IngestLockedException when this blob is being fetched already
   */
  public Digest fetchBlob(ImageReference image, OciDescriptor blob, ContentIngester store, Map<String, String> labels)
      throws IOException {
    try (ContentWriter w = store.writer("pull-" + blob.digest(), blob.size(), blob.digest());
         BlobDownloadStream in = new BlobDownloadStream(transport, image, blob, listener, false)) {
      OutputStream out = w.stream();
      in.transferTo(out);
      try {
        return w.commit(labels);
      } catch (DigestMismatchException e) {
        RemoteDigestMismatchException r = new RemoteDigestMismatchException(image, blob.digest(), e.actual(),
            "blob from the registry");
        r.initCause(e);
        throw r;
      } catch (SizeMismatchException e) {
        RemoteSizeMismatchException r = new RemoteSizeMismatchException(image, blob.digest(), blob.size(), e.actual(),
            "blob");
        r.initCause(e);
        throw r;
      }
    }
  }

  /**
   * A stream over a blob, resumed after a broken transfer. It ends (returns -1) only after the bytes
   * matched the descriptor's size and digest; otherwise the read that reaches the end throws
   * {@link RemoteDigestMismatchException}. Bytes read before the end are not yet verified: a caller
   * that acts on them before the end must be able to undo it.
   */
  public InputStream openBlob(ImageReference image, OciDescriptor blob) {
    return new BlobDownloadStream(transport, image, blob, listener, true);
  }

  /**
   * Whether the image's repository has the blob (HEAD).
   *
   * @return its size as the registry gives it (-1 when it gives none), or empty when it has no such blob
   */
  public Optional<Long> blobSize(ImageReference image, Digest digest) throws IOException {
    return upload.size(image, digest, List.of(RegistryRequest.pullScope(image)));
  }

  // ---- push ------------------------------------------------------------------------------------

  /**
   * Pushes a blob to the target's repository unless it is there already (HEAD). With
   * {@code mountFrom}, another repository of the same registry that has the blob, the registry is
   * asked to mount it from there first; a registry that will not mount gets the upload instead.
   * Blobs up to the chunk size go in one request, larger ones in chunks. The bytes are hashed as
   * they are sent: a source that does not match the descriptor is not committed.
   *
   * @param mountFrom a repository of the same registry that has the blob, or null
   * @throws RemoteDigestMismatchException when the source does not hash to the descriptor's digest
   */
  public PushOutcome pushBlob(ImageReference target, OciDescriptor blob, BlobSource source, String mountFrom)
      throws IOException {
    Objects.requireNonNull(source, "source");
    return upload.push(target, blob, source, mountFrom);
  }

  /**
   * Pushes a manifest or index under the target's tag (or its digest, when it has one and no tag):
   * {@code PUT /v2/<repository>/manifests/<reference>}. Its blobs (or, for an index, its manifests)
   * must be pushed first.
   *
   * @return the manifest's digest (sha256 of {@code bytes}), checked against what the registry reports
   * @throws BlobNotFoundException when the registry lacks a blob the manifest references
   */
  public Digest pushManifest(ImageReference target, String mediaType, byte[] bytes) throws IOException {
    Digest digest = Digest.sha256(bytes);
    if (target.digest() != null && !target.digest().equals(digest)) {
      throw new IllegalArgumentException("pushing to " + target + " a manifest whose digest is " + digest);
    }
    String reference = target.tag() != null ? target.tag() : digest.toString();
    RegistryRequest put = RegistryRequest.of(target, digest, "PUT", transport.uri(target, "manifests/" + reference),
            List.of(RegistryRequest.pushScope(target)))
        .header("Content-Type", mediaType)
        .body(HttpRequest.BodyPublishers.ofByteArray(bytes));
    try (RegistryResponse r = transport.send(put)) {
      if (r.status() == 201) {
        String stored = r.header("Docker-Content-Digest");
        if (stored != null && !stored.trim().equals(digest.toString())) {
          Digest actual = null;
          try {
            actual = Digest.parse(stored.trim());
          } catch (IllegalArgumentException e) {
            actual = null;
          }
          throw new RemoteDigestMismatchException(target, digest, actual, "manifest as the registry stored it");
        }
        return digest;
      }
      String text = r.text();
      List<RegistryErrors.Entry> errors = RegistryErrors.parse(text);
      String said = RegistryErrors.describe(errors, text);
      Optional<RegistryErrors.Entry> missing = errors.stream()
          .filter(e -> e.code().equals(RegistryErrors.MANIFEST_BLOB_UNKNOWN) || e.code().equals(RegistryErrors.BLOB_UNKNOWN))
          .findFirst();
      if (missing.isPresent()) {
        Digest blob = digestIn(missing.get().detail());
        throw new BlobNotFoundException(target, blob != null ? blob : digest,
            "the manifest references it; push it first (" + said + ")");
      }
      throw new RegistryException(target, digest, "PUT of the manifest answered " + RegistryErrors.statusLine(r.status(), said));
    }
  }

  /** {@link #pushManifest(ImageReference, String, byte[])} of {@code manifest.toJson()}. */
  public Digest pushManifest(ImageReference target, Manifest manifest) throws IOException {
    return pushManifest(target, manifest.mediaType(), manifest.toJson());
  }

  private static Digest digestIn(String detail) {
    if (detail == null) {
      return null;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})").matcher(detail);
    return m.find() ? Digest.parse(m.group(1)) : null;
  }

  /** Options of a {@link RegistryClient}. */
  public static final class Builder {
    private CredentialStore credentials = CredentialStore.none();
    private Set<String> insecure = Set.of();
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private int chunkSize = DEFAULT_CHUNK_SIZE;
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration readTimeout = Duration.ofSeconds(60);
    private String userAgent = "refcache";
    private Clock clock = Clock.systemUTC();
    private TransferListener listener = TransferListener.NONE;

    private Builder() {
    }

    /** Where credentials come from (default: none, anonymous). */
    public Builder credentials(CredentialStore store) {
      this.credentials = Objects.requireNonNull(store, "credentials");
      return this;
    }

    /**
     * Registries ({@code host} or {@code host:port}) reached over plain HTTP although not loopback.
     * Loopback registries always are.
     */
    public Builder insecure(Collection<String> registries) {
      this.insecure = Set.copyOf(registries);
      return this;
    }

    /** Retries, backoff and resumptions (default {@link RetryPolicy#DEFAULT}). */
    public Builder retry(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retry");
      return this;
    }

    /** Blobs above this many bytes are pushed in chunks of this size (default 16 MiB). */
    public Builder chunkSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("chunk size must be positive, got " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /** How long to wait for a connection (default 30 s). */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connect timeout");
      return this;
    }

    /** How long to wait for an answer's headers (default 60 s). */
    public Builder requestTimeout(Duration d) {
      this.requestTimeout = positive(d, "request timeout");
      return this;
    }

    /** How long a transfer may go without a byte before it counts as broken (default 60 s). */
    public Builder readTimeout(Duration d) {
      this.readTimeout = positive(d, "read timeout");
      return this;
    }

    /** The User-Agent header (default {@code refcache}). */
    public Builder userAgent(String agent) {
      this.userAgent = Objects.requireNonNull(agent, "userAgent");
      return this;
    }

    /** The clock that times token expiry. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** Hears about blob transfers (default: nobody). */
    public Builder listener(TransferListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    public RegistryClient build() {
      return new RegistryClient(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
