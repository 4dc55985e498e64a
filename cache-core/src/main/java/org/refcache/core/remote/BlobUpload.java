package org.refcache.core.remote;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.Digester;
import org.refcache.core.digest.DigestingInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushing one blob (distribution spec, "pushing blobs"): HEAD to skip a blob the repository has;
 * a cross-repository mount ({@code POST ?mount=&from=}) when the blob is known to be in another
 * repository of the registry; else an upload session ({@code POST}), then the bytes in one
 * {@code PUT ?digest=} (monolithic) or, above the chunk size, in {@code PATCH}es of one chunk each
 * with {@code Content-Range}, closed by an empty {@code PUT ?digest=}.
 *
 * <p>The bytes are hashed as they are sent: a local blob that does not match its descriptor is not
 * committed (the session is cancelled, or the registry refuses the {@code PUT}). An upload that fails
 * on the way for a transient reason starts again from the {@code POST}, with the retry policy's
 * attempts and backoff.
 */
final class BlobUpload {
  private static final Logger LOG = LoggerFactory.getLogger(BlobUpload.class);
  private static final String OCTET_STREAM = "application/octet-stream";

  private final RegistryTransport transport;
  private final TransferListener listener;
  private final int chunkSize;

  BlobUpload(RegistryTransport transport, TransferListener listener, int chunkSize) {
    this.transport = transport;
    this.listener = listener;
    this.chunkSize = chunkSize;
  }

  /** HEAD: the size of the blob in {@code image}'s repository, or empty when it has none. */
  Optional<Long> size(ImageReference image, Digest digest, List<String> scopes) throws IOException {
    RegistryRequest request = RegistryRequest.of(image, digest, "HEAD",
        transport.uri(image, "blobs/" + digest), scopes);
    try (RegistryResponse r = transport.send(request)) {
      return switch (r.status()) {
        case 200 -> Optional.of(r.contentLength());
        case 404 -> Optional.empty();
        default -> throw new RegistryException(image, digest, "HEAD of the blob answered "
            + RegistryErrors.statusLine(r.status(), null));
      };
    }
  }

  PushOutcome push(ImageReference target, OciDescriptor blob, BlobSource source, String mountFrom)
      throws IOException {
    List<String> scopes = mountFrom != null && !mountFrom.equals(target.repository())
        ? List.of(RegistryRequest.pushScope(target), "repository:" + mountFrom + ":pull")
        : List.of(RegistryRequest.pushScope(target));
    Optional<Long> present = size(target, blob.digest(), scopes);
    if (present.isPresent()) {
      if (present.get() >= 0 && present.get() != blob.size()) {
        throw new RegistryException(target, blob.digest(), "the registry has this blob with " + present.get()
            + " bytes, the descriptor says " + blob.size());
      }
      return PushOutcome.ALREADY_PRESENT;
    }
    int failures = 0;
    while (true) {
      try {
        return attempt(target, blob, source, mountFrom, scopes);
      } catch (RegistryException e) {
        failures++;
        if (!e.isTransient() || failures >= transport.retry().maxAttempts()) {
          throw e;
        }
        LOG.info("{}: upload of blob {} failed ({}); starting it again ({} of {})", target, blob.digest(),
            e.getMessage(), failures + 1, transport.retry().maxAttempts());
        RetryPolicy.sleep(transport.retry().backoff(failures));
      }
    }
  }

  private PushOutcome attempt(ImageReference target, OciDescriptor blob, BlobSource source, String mountFrom,
      List<String> scopes) throws IOException {
    String query = "";
    boolean mounting = mountFrom != null && !mountFrom.equals(target.repository());
    if (mounting) {
      query = "?mount=" + encode(blob.digest().toString()) + "&from=" + encode(mountFrom);
    }
    RegistryRequest post = RegistryRequest.of(target, blob.digest(), "POST",
        transport.uri(target, "blobs/uploads/" + query), scopes).idempotent(true);
    URI location;
    try (RegistryResponse r = transport.send(post)) {
      if (r.status() == 201 && mounting) {
        requireDigest(target, blob, r, "mounted blob");
        LOG.debug("{}: blob {} mounted from {}", target, blob.digest(), mountFrom);
        return PushOutcome.MOUNTED;
      }
      if (r.status() != 202) {
        throw failure(target, blob.digest(), "starting the upload (POST)", r);
      }
      location = location(target, blob, r);
    }
    listener.started(target, blob, 0);
    if (blob.size() <= chunkSize) {
      putWhole(target, blob, source, location, scopes);
    } else {
      putChunks(target, blob, source, location, scopes);
    }
    listener.finished(target, blob);
    return PushOutcome.UPLOADED;
  }

  private void putWhole(ImageReference target, OciDescriptor blob, BlobSource source, URI location,
      List<String> scopes) throws IOException {
    AtomicReference<DigestingInputStream> sent = new AtomicReference<>();
    AtomicReference<SourceStream> opened = new AtomicReference<>();
    AtomicReference<IOException> sourceFailure = new AtomicReference<>();
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
        HttpRequest.BodyPublishers.ofInputStream(() -> {
          try {
            SourceStream raw = new SourceStream(source.open(), sourceFailure);
            DigestingInputStream in = new DigestingInputStream(raw, Digester.of(blob.digest().algorithm()));
            opened.set(raw);
            sent.set(in);
            return in;
          } catch (IOException e) {
            sourceFailure.set(e);
            throw new UncheckedIOException(e);
          }
        }), blob.size());
    RegistryRequest put = RegistryRequest.of(target, blob.digest(), "PUT", withDigest(location, blob.digest()), scopes)
        .header("Content-Type", OCTET_STREAM).body(body).idempotent(false);
    RegistryResponse r;
    try {
      r = transport.send(put);
    } catch (RegistryException e) {
      IOException local = sourceFailure.get();
      if (local != null) {
        throw new RegistryException(target, blob.digest(), "cannot read the local blob to push: "
            + RegistryTransport.describe(local), local);
      }
      DigestingInputStream in = sent.get();
      if (in != null && (in.count() > blob.size() || (opened.get().ended && in.count() < blob.size()))) {
        throw new RegistryException(target, blob.digest(), "the local blob has " + (in.count() > blob.size()
            ? "more than " + blob.size() : String.valueOf(in.count())) + " bytes; its descriptor says "
            + blob.size(), e);
      }
      throw e;
    }
    try (r) {
      DigestingInputStream in = sent.get();
      if (r.status() == 400 && RegistryErrors.has(RegistryErrors.parse(r.text()), RegistryErrors.DIGEST_INVALID)) {
        throw new RemoteDigestMismatchException(target, blob.digest(),
            in != null && in.count() == blob.size() ? in.digest() : null, "local blob being pushed");
      }
      if (r.status() != 201) {
        throw failure(target, blob.digest(), "finishing the upload (PUT)", r);
      }
      if (in != null && !in.digest().equals(blob.digest())) {
        throw new RemoteDigestMismatchException(target, blob.digest(), in.digest(), "local blob being pushed");
      }
      listener.progressed(target, blob, blob.size());
      requireDigest(target, blob, r, "uploaded blob");
    }
  }

  private void putChunks(ImageReference target, OciDescriptor blob, BlobSource source, URI location,
      List<String> scopes) throws IOException {
    Digester digester = Digester.of(blob.digest().algorithm());
    byte[] buf = new byte[chunkSize];
    long offset = 0;
    try (InputStream in = source.open()) {
      while (offset < blob.size()) {
        int want = (int) Math.min(buf.length, blob.size() - offset);
        int n = in.readNBytes(buf, 0, want);
        if (n < want) {
          cancel(target, blob, location, scopes);
          throw new RegistryException(target, blob.digest(), "the local blob has " + (offset + n)
              + " bytes; its descriptor says " + blob.size());
        }
        digester.update(buf, 0, n);
        location = patch(target, blob, location, scopes, buf, n, offset);
        offset += n;
        listener.progressed(target, blob, offset);
      }
      if (in.read() >= 0) {
        cancel(target, blob, location, scopes);
        throw new RegistryException(target, blob.digest(), "the local blob has more than " + blob.size()
            + " bytes, the size its descriptor says");
      }
    }
    Digest actual = digester.digest();
    if (!actual.equals(blob.digest())) {
      cancel(target, blob, location, scopes);
      throw new RemoteDigestMismatchException(target, blob.digest(), actual, "local blob being pushed");
    }
    RegistryRequest put = RegistryRequest.of(target, blob.digest(), "PUT", withDigest(location, blob.digest()), scopes)
        .header("Content-Type", OCTET_STREAM);
    try (RegistryResponse r = transport.send(put)) {
      if (r.status() != 201) {
        throw failure(target, blob.digest(), "finishing the chunked upload (PUT)", r);
      }
      requireDigest(target, blob, r, "uploaded blob");
    }
  }

  private URI patch(ImageReference target, OciDescriptor blob, URI location, List<String> scopes, byte[] buf, int n,
      long offset) throws IOException {
    long last = offset + n - 1;
    RegistryRequest patch = RegistryRequest.of(target, blob.digest(), "PATCH", location, scopes)
        .header("Content-Type", OCTET_STREAM)
        .header("Content-Range", offset + "-" + last)
        .body(HttpRequest.BodyPublishers.ofByteArray(buf, 0, n));
    try (RegistryResponse r = transport.send(patch)) {
      if (r.status() != 202) {
        throw failure(target, blob.digest(), "sending bytes " + offset + "-" + last + " (PATCH)", r);
      }
      String range = r.header("Range");
      if (range != null && !range.trim().endsWith("-" + last)) {
        throw new RegistryException(target, blob.digest(), "after bytes " + offset + "-" + last
            + " the registry says it has " + range, null, true);
      }
      return location(target, blob, r);
    }
  }

  /** Best effort: a cancelled session only saves the registry's purge the work. */
  private void cancel(ImageReference target, OciDescriptor blob, URI location, List<String> scopes) {
    try (RegistryResponse r = transport.send(RegistryRequest.of(target, blob.digest(), "DELETE", location, scopes))) {
      LOG.debug("{}: upload of {} cancelled: {}", target, blob.digest(), r.status());
    } catch (IOException e) {
      LOG.debug("{}: cancelling the upload of {} failed: {}", target, blob.digest(), e.getMessage());
    }
  }

  private static URI location(ImageReference target, OciDescriptor blob, RegistryResponse r) throws RegistryException {
    String location = r.header("Location");
    if (location == null || location.isBlank()) {
      throw new RegistryException(target, blob.digest(), "the registry answered " + r.status()
          + " to an upload request without a Location");
    }
    try {
      return r.uri().resolve(location.trim());
    } catch (IllegalArgumentException e) {
      throw new RegistryException(target, blob.digest(), "the upload Location \"" + location + "\" is not a URI", e);
    }
  }

  private static URI withDigest(URI location, Digest digest) {
    String s = location.toString();
    return URI.create(s + (location.getRawQuery() == null ? "?" : "&") + "digest=" + encode(digest.toString()));
  }

  private static void requireDigest(ImageReference target, OciDescriptor blob, RegistryResponse r, String what)
      throws IOException {
    String header = r.header("Docker-Content-Digest");
    if (header != null && !header.trim().equals(blob.digest().toString())) {
      throw new RemoteDigestMismatchException(target, blob.digest(), parseOrNull(header), what
          + " as the registry stored it");
    }
  }

  private static Digest parseOrNull(String s) {
    try {
      return Digest.parse(s.trim());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static RegistryException failure(ImageReference target, Digest digest, String step, RegistryResponse r) {
    String text = r.text();
    List<RegistryErrors.Entry> errors = RegistryErrors.parse(text);
    String said = RegistryErrors.describe(errors, text);
    if (r.status() == 404 && (errors.isEmpty() || RegistryErrors.has(errors, "BLOB_UPLOAD_UNKNOWN"))) {
      // the session expired or the registry restarted: starting again helps
      return new RegistryException(target, digest, step + " failed: " + RegistryErrors.statusLine(r.status(), said),
          null, true);
    }
    return new RegistryException(target, digest, step + " failed: " + RegistryErrors.statusLine(r.status(), said));
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /**
   * The local source as the HTTP client reads it: remembers a failure to read it, which the client
   * would report as its own, and whether it ended (a short source, not a broken connection).
   */
  private static final class SourceStream extends FilterInputStream {
    private final AtomicReference<IOException> failure;
    volatile boolean ended;

    SourceStream(InputStream in, AtomicReference<IOException> failure) {
      super(in);
      this.failure = failure;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        int n = super.read(b, off, len);
        if (n < 0) {
          ended = true;
        }
        return n;
      } catch (IOException e) {
        failure.set(e);
        throw e;
      }
    }
  }
}
