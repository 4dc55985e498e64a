package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authorization for registry requests: Basic with the stored credentials, or a Bearer token from the
 * registry's token service (the distribution token flow: a 401 with
 * {@code WWW-Authenticate: Bearer realm=..,service=..,scope=..}, then
 * {@code GET realm?service=..&scope=..} with the credentials, if any, as Basic).
 *
 * <p>What a registry asked for is remembered per registry, and tokens per set of scopes until they
 * expire, so later requests carry their authorization at once instead of collecting a 401 first.
 * Thread-safe: two threads may fetch a token for the same scopes at once; both tokens are good.
 */
final class Authenticator {
  private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
  /** Registries that give no expiry give tokens for at least this long (the token spec's default). */
  private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
  private static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

  /** Sends a GET without authorization of its own, with the transport's retries. */
  @FunctionalInterface
  interface TokenRequester {
    RegistryResponse get(ImageReference image, URI uri, String authorization) throws IOException;
  }

  private enum Scheme { BASIC, BEARER }

  private record Token(String value, Instant expires) {}

  /** What one registry asked for. */
  private static final class RegistryAuth {
    volatile Scheme scheme;
    volatile URI realm;
    volatile String service;
    final ConcurrentMap<String, Token> tokens = new ConcurrentHashMap<>();
  }

  private final CredentialStore credentials;
  private final RegistryEndpoints endpoints;
  private final Clock clock;
  private final TokenRequester requester;
  private final ConcurrentMap<String, RegistryAuth> registries = new ConcurrentHashMap<>();

  Authenticator(CredentialStore credentials, RegistryEndpoints endpoints, Clock clock, TokenRequester requester) {
    this.credentials = credentials;
    this.endpoints = endpoints;
    this.clock = clock;
    this.requester = requester;
  }

  /**
   * The {@code Authorization} header for a request with {@code scopes} to the image's registry, once
   * the registry has said what it wants; empty before. May fetch a token.
   */
  Optional<String> authorization(ImageReference image, List<String> scopes) throws IOException {
    RegistryAuth auth = registries.get(image.registry());
    if (auth == null || auth.scheme == null) {
      return Optional.empty();
    }
    if (auth.scheme == Scheme.BASIC) {
      return credentials.find(image.registry()).map(Credentials::basicAuthorization);
    }
    String key = key(scopes);
    Token t = auth.tokens.get(key);
    if (t == null || !clock.instant().isBefore(t.expires())) {
      t = fetchToken(image, auth.realm, auth.service, scopes);
      auth.tokens.put(key, t);
    }
    return Optional.of("Bearer " + t.value());
  }

  /**
   * Answers a 401: remembers what the registry asked for and gets what it takes (a token for
   * {@code scopes} plus the challenge's own scope).
   *
   * @throws RegistryUnauthorizedException when there are no credentials for Basic, or the token
   *     service refuses them
   * @throws RegistryException when the challenge names no scheme this client speaks
   */
  void challenged(ImageReference image, List<String> headers, List<String> scopes) throws IOException {
    List<AuthChallenge> challenges = new ArrayList<>();
    headers.forEach(h -> challenges.addAll(AuthChallenge.parse(h)));
    RegistryAuth auth = registries.computeIfAbsent(image.registry(), r -> new RegistryAuth());
    Optional<AuthChallenge> bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst();
    if (bearer.isPresent()) {
      String realm = bearer.get().param("realm");
      if (realm == null || realm.isEmpty()) {
        throw new RegistryException(image, null, "the registry asks for a Bearer token but names no realm");
      }
      URI realmUri;
      try {
        realmUri = URI.create(realm);
      } catch (IllegalArgumentException e) {
        throw new RegistryException(image, null, "the registry's token realm \"" + realm + "\" is not a URI", e);
      }
      if (!endpoints.allows(realmUri)) {
        throw new RegistryException(image, null, "the registry's token service " + realm + " is not HTTPS;"
            + " credentials are sent there only when its host is loopback or named as insecure");
      }
      TreeSet<String> all = new TreeSet<>(scopes);
      String asked = bearer.get().param("scope");
      if (asked != null) {
        for (String s : asked.split(" ")) {
          if (!s.isBlank()) {
            all.add(s);
          }
        }
      }
      Token t = fetchToken(image, realmUri, bearer.get().param("service"), List.copyOf(all));
      auth.realm = realmUri;
      auth.service = bearer.get().param("service");
      auth.tokens.put(key(scopes), t);
      auth.scheme = Scheme.BEARER;
      return;
    }
    if (challenges.stream().anyMatch(c -> c.scheme().equals("basic"))) {
      if (credentials.find(image.registry()).isEmpty()) {
        throw new RegistryUnauthorizedException(image, "unauthorized: the registry " + image.registry()
            + " needs a user name and password and there are none for it (" + credentials.source() + ")");
      }
      auth.scheme = Scheme.BASIC;
      return;
    }
    throw new RegistryException(image, null, "the registry answered 401 asking for "
        + (challenges.isEmpty() ? "no authentication scheme" : "authentication scheme(s) "
            + challenges.stream().map(AuthChallenge::scheme).toList())
        + "; this client speaks Basic and Bearer");
  }

  /** The error for a request refused although authorization was sent (or none could be). */
  RegistryUnauthorizedException refused(ImageReference image, int status, String registrySaid) {
    Optional<Credentials> c = credentials.find(image.registry());
    String who = c.map(cr -> "user \"" + cr.username() + "\" (" + credentials.source() + ")")
        .orElse("anonymous access (none for " + image.registry() + "; " + credentials.source() + ")");
    String what = status == 403 ? "denied: the registry refused access to " + image.repository() + " for "
        : "unauthorized: the registry refused ";
    return new RegistryUnauthorizedException(image, what + who + ": " + RegistryErrors.statusLine(status, registrySaid));
  }

  private Token fetchToken(ImageReference image, URI realm, String service, List<String> scopes) throws IOException {
    StringBuilder query = new StringBuilder();
    if (service != null) {
      query.append("service=").append(URLEncoder.encode(service, StandardCharsets.UTF_8));
    }
    for (String s : scopes) {
      query.append(query.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    String base = realm.toString();
    URI uri = URI.create(query.length() == 0 ? base : base + (base.contains("?") ? "&" : "?") + query);
    Optional<Credentials> c = credentials.find(image.registry());
    try (RegistryResponse r = requester.get(image, uri, c.map(Credentials::basicAuthorization).orElse(null))) {
      if (r.status() == 401 || r.status() == 403) {
        String said = RegistryErrors.describe(RegistryErrors.parse(r.text()), null);
        throw new RegistryUnauthorizedException(image, "unauthorized: the token service " + realm + " refused "
            + c.map(cr -> "user \"" + cr.username() + "\" (" + credentials.source() + ")")
                .orElse("anonymous access (none for " + image.registry() + "; " + credentials.source() + ")")
            + ": " + RegistryErrors.statusLine(r.status(), said));
      }
      if (r.status() != 200) {
        throw new RegistryException(image, null, "the token service " + realm + " answered "
            + RegistryErrors.statusLine(r.status(), RegistryErrors.describe(List.of(), r.text())));
      }
      JsonNode json;
      try {
        json = ManifestJson.readObject(r.body().readAll(RegistryResponse.SMALL_BODY, "token"), "token response");
      } catch (MalformedManifestException e) {
        throw new RegistryException(image, null, "the token service " + realm + ": " + e.getMessage(), e);
      }
      String token = json.path("token").asText("");
      if (token.isEmpty()) {
        token = json.path("access_token").asText("");
      }
      if (token.isEmpty()) {
        throw new RegistryException(image, null, "the token service " + realm + " answered without a token");
      }
      Duration lifetime = json.path("expires_in").canConvertToLong() && json.path("expires_in").asLong() > 0
          ? Duration.ofSeconds(json.path("expires_in").asLong()) : DEFAULT_TOKEN_LIFETIME;
      Duration margin = lifetime.compareTo(EXPIRY_MARGIN.multipliedBy(2)) > 0 ? EXPIRY_MARGIN : lifetime.dividedBy(2);
      LOG.debug("token for {} scopes {} from {}, valid {}", image.registry(), scopes, realm, lifetime);
      return new Token(token, clock.instant().plus(lifetime).minus(margin));
    }
  }

  private static String key(List<String> scopes) {
    return String.join(" ", new TreeSet<>(scopes));
  }
}
