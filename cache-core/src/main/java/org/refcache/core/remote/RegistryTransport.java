package org.refcache.core.remote;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends {@link RegistryRequest}s: authorization ({@link Authenticator}), redirects, retries, and the
 * failures every request shares turned into typed exceptions. What a status means for one operation
 * (a 404 for a manifest or a blob) is left to the caller.
 *
 * <p>Redirects are followed here, not by {@link HttpClient}: a registry sends blob downloads to
 * storage elsewhere (a CDN, a signed S3 URL), which must get the {@code Range} header but not the
 * registry's {@code Authorization}. Requests use HTTP/1.1, so each transfer has its own connection
 * and a broken one breaks only that transfer.
 */
final class RegistryTransport {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryTransport.class);
  private static final int MAX_REDIRECTS = 5;
  private static final long SLOWEST_UPLOAD = 64 * 1024;

  private final HttpClient http;
  private final RegistryEndpoints endpoints;
  private final RetryPolicy retry;
  private final Duration requestTimeout;
  private final Duration readTimeout;
  private final String userAgent;
  private final Authenticator auth;

  RegistryTransport(HttpClient http, RegistryEndpoints endpoints, CredentialStore credentials, RetryPolicy retry,
      Duration requestTimeout, Duration readTimeout, String userAgent, Clock clock) {
    this.http = http;
    this.endpoints = endpoints;
    this.retry = retry;
    this.requestTimeout = requestTimeout;
    this.readTimeout = readTimeout;
    this.userAgent = userAgent;
    this.auth = new Authenticator(credentials, endpoints, clock, this::sendForToken);
  }

  RetryPolicy retry() {
    return retry;
  }

  /** {@code scheme://registry/v2/<repository>/<path>}. */
  URI uri(ImageReference image, String path) {
    return URI.create(endpoints.base(image) + "/v2/" + image.repository() + "/" + path);
  }

  /**
   * Sends {@code request} and returns the registry's answer, which the caller closes.
   *
   * <p>A 401 is answered once through the {@link Authenticator}; a 401 or 403 after that is a
   * {@link RegistryUnauthorizedException}. A connection failure, a 5xx or a 429 is retried with
   * backoff when the request is idempotent, and ends in a transient {@link RegistryException}.
   * Every other answer, success or not, is returned.
   */
  RegistryResponse send(RegistryRequest request) throws IOException {
    int failures = 0;
    boolean challenged = false;
    while (true) {
      RegistryResponse response;
      try {
        Optional<String> authorization = auth.authorization(request.image(), request.scopes());
        response = exchange(request, authorization.orElse(null));
      } catch (RegistryException e) {
        throw e;
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e; // interrupted, not failed (a socket timeout is an InterruptedIOException too)
        }
        failures++;
        if (!request.idempotent() || failures >= retry.maxAttempts()) {
          throw new RegistryException(request.image(), request.digest(), "cannot reach the registry: "
              + request + " failed" + attempts(failures) + ": " + describe(e), e, true);
        }
        Duration wait = retry.backoff(failures);
        LOG.info("{} failed ({}); attempt {} of {} in {} ms", request, describe(e), failures + 1,
            retry.maxAttempts(), wait.toMillis());
        RetryPolicy.sleep(wait);
        continue;
      }
      int status = response.status();
      if (status == 401 && !challenged) {
        challenged = true;
        List<String> challenges = response.headers().allValues("WWW-Authenticate");
        response.close();
        auth.challenged(request.image(), challenges, request.scopes());
        continue;
      }
      if (status == 401 || status == 403) {
        String said = RegistryErrors.describe(RegistryErrors.parse(response.text()), null);
        response.close();
        throw auth.refused(request.image(), status, said);
      }
      if (status >= 500 || status == 429) {
        failures++;
        String said = RegistryErrors.describe(RegistryErrors.parse(response.text()), null);
        String retryAfter = response.header("Retry-After");
        response.close();
        if (!request.idempotent() || failures >= retry.maxAttempts()) {
          throw new RegistryException(request.image(), request.digest(), "the registry answered "
              + RegistryErrors.statusLine(status, said) + " to " + request + attempts(failures), null, true);
        }
        Duration wait = retry.retryAfter(retryAfter, retry.backoff(failures));
        LOG.info("{} answered {}; attempt {} of {} in {} ms", request, status, failures + 1, retry.maxAttempts(),
            wait.toMillis());
        RetryPolicy.sleep(wait);
        continue;
      }
      return response;
    }
  }

  private static String attempts(int failures) {
    return failures > 1 ? " after " + failures + " attempts" : "";
  }

  /** The exception's class and message, as a cause of a failed request reads best. */
  static String describe(IOException e) {
    String m = e.getMessage();
    String name = e.getClass().getSimpleName();
    return m == null || m.isBlank() ? name : name + ": " + m;
  }

  /** One exchange, following redirects; Authorization only to the registry itself. */
  private RegistryResponse exchange(RegistryRequest request, String authorization) throws IOException {
    URI uri = request.uri();
    String method = request.method();
    HttpRequest.BodyPublisher body = request.body();
    for (int hop = 0;; hop++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri)
          .version(HttpClient.Version.HTTP_1_1)
          .timeout(timeout(body))
          .method(method, body != null ? body : HttpRequest.BodyPublishers.noBody())
          .header("User-Agent", userAgent);
      request.headers().forEach(b::header);
      if (authorization != null && sameOrigin(uri, request.uri())) {
        b.header("Authorization", authorization);
      }
      BodyStream stream = new BodyStream(readTimeout, method + " " + uri);
      HttpResponse<java.io.InputStream> r;
      try {
        r = http.send(b.build(), info -> stream);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted during " + method + " " + uri);
      }
      RegistryResponse response = new RegistryResponse(r.statusCode(), r.headers(), uri, stream);
      String location = response.header("Location");
      if (!isRedirect(response.status()) || location == null) {
        LOG.debug("{} {} -> {}", method, uri, response.status());
        return response;
      }
      response.text(); // drain the small body so the connection can be reused
      response.close();
      if (hop >= MAX_REDIRECTS) {
        throw new RegistryException(request.image(), request.digest(), "more than " + MAX_REDIRECTS
            + " redirects from " + request);
      }
      URI next = uri.resolve(location);
      if (!endpoints.allows(next)) {
        throw new RegistryException(request.image(), request.digest(), request + " was redirected to " + next
            + ", plain HTTP to a host that is neither loopback nor named as insecure");
      }
      LOG.debug("{} {} -> {} {}", method, uri, response.status(), next);
      if (response.status() == 303) {
        method = "GET";
        body = null;
      }
      uri = next;
    }
  }

  /**
   * How long until the answer's headers: the request timeout, plus time to send the body at
   * {@value #SLOWEST_UPLOAD} bytes/s (the timeout covers sending it, and a chunk of 16 MiB takes
   * minutes on a slow link).
   */
  private Duration timeout(HttpRequest.BodyPublisher body) {
    long length = body == null ? 0 : Math.max(0, body.contentLength());
    return requestTimeout.plusSeconds(length / SLOWEST_UPLOAD);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
        && a.getPort() == b.getPort();
  }

  /** The Authenticator's token request: a GET with the transport's retries, with no registry authorization. */
  private RegistryResponse sendForToken(ImageReference image, URI uri, String basic) throws IOException {
    int failures = 0;
    while (true) {
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).version(HttpClient.Version.HTTP_1_1)
            .timeout(requestTimeout).GET().header("User-Agent", userAgent);
        if (basic != null) {
          b.header("Authorization", basic);
        }
        BodyStream stream = new BodyStream(readTimeout, "GET " + uri);
        HttpResponse<java.io.InputStream> r = http.send(b.build(), info -> stream);
        RegistryResponse response = new RegistryResponse(r.statusCode(), r.headers(), uri, stream);
        if (response.status() < 500 && response.status() != 429) {
          return response;
        }
        response.close();
        failures++;
        if (failures >= retry.maxAttempts()) {
          throw new RegistryException(image, null, "the token service " + uri.getHost() + " answered HTTP "
              + response.status() + attempts(failures), null, true);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while asking " + uri + " for a token");
      } catch (RegistryException e) {
        throw e;
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        failures++;
        if (failures >= retry.maxAttempts()) {
          throw new RegistryException(image, null, "cannot reach the token service " + uri.getHost()
              + attempts(failures) + ": " + describe(e), e, true);
        }
      }
      RetryPolicy.sleep(retry.backoff(failures));
    }
  }
}
